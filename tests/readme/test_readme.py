"""Every command and quick start in the root README.md, run as written.

The quick starts are taken out of README.md (the code block under each "Quick start" heading) and run in a
temporary directory: the FastAPI app through its ASGI interface, the Django snippets assembled into a project,
the Express app as a real server. `scripts/demo` is started as the README says (with `--no-build`: the test run
has built both packages already) and must serve its sign-in page. `scripts/test-all` is the command CI runs, so
it is tested by every CI run.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def code_block(heading: str) -> str:
    """The first fenced code block after the `## {heading}` line."""
    section = README.split(f"\n## {heading}\n", 1)[1]
    match = re.search(r"```[a-z]*\n(.*?)```", section, re.S)
    assert match, f"no code block under {heading!r}"
    return match.group(1)


def test_the_two_commands_are_the_ones_ci_runs() -> None:
    commands = code_block("Two commands")
    assert re.search(r"^scripts/demo\b", commands, re.M)
    assert re.search(r"^scripts/test-all\b", commands, re.M)
    assert "exec bash scripts/test-all" in (ROOT / ".ci" / "run").read_text()


def test_fastapi_quick_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    exec(compile(code_block("Quick start: FastAPI"), "README.md (FastAPI)", "exec"), namespace)

    async def journey() -> None:
        # https: the session cookies are Secure, so a client sends them back only over https.
        transport = httpx.ASGITransport(app=namespace["app"])
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
            assert (await client.get("/me")).status_code == 401
            signed_in = await client.post("/login")
            assert signed_in.status_code == 200
            assert "access_token" not in signed_in.json()  # cookie mode: tokens only in httpOnly cookies
            assert (await client.get("/me")).json() == {"user": "user-42", "role": "editor"}

    asyncio.run(journey())
    assert (tmp_path / "sessions.db").exists()


DJANGO_RUNNER = """
import json, sys
import django
from django.conf import settings
from django.urls import include, path

sys.path.insert(0, ".")
import readme_settings, readme_views

urlpatterns = [
    path("", include("sessionward.django.urls")),
    path("login", readme_views.sign_in),
    path("me", readme_views.me),
]
settings.configure(ROOT_URLCONF=__name__, SECRET_KEY="readme-test", ALLOWED_HOSTS=["testserver"], DATABASES={},
                   **{k: v for k, v in vars(readme_settings).items() if k.isupper()})
django.setup()
from django.test import Client

client = Client(HTTP_HOST="testserver")
results = [client.get("/me", secure=True).status_code]
results.append(client.post("/login", secure=True).status_code)
results.append(client.get("/me", secure=True).json())
print(json.dumps(results))
"""


def test_django_quick_start(tmp_path: Path) -> None:
    block = code_block("Quick start: Django")
    settings_part, rest = block.split("# urls.py", 1)
    views_part = rest.split("# views.py", 1)[1]
    base_apps = '"django.contrib.contenttypes", "django.contrib.auth",'
    base_middleware = '"django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware",'
    settings_code = settings_part.replace("INSTALLED_APPS = [...,", f"INSTALLED_APPS = [{base_apps}")
    settings_code = settings_code.replace("MIDDLEWARE = [...,", f"MIDDLEWARE = [{base_middleware}")
    assert "..." not in settings_code, "the README's settings changed shape: update this test"
    (tmp_path / "readme_settings.py").write_text(f"from pathlib import Path\nBASE_DIR = Path('.')\n{settings_code}")
    (tmp_path / "readme_views.py").write_text(views_part)
    (tmp_path / "run.py").write_text(DJANGO_RUNNER)
    done = subprocess.run([sys.executable, "run.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == [401, 200, {"user": "user-42"}]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(url: str, process: subprocess.Popen[str]) -> httpx.Response:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}")
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"nothing answered at {url} within 60 s")


@pytest.fixture
def node_project(tmp_path: Path) -> Path:
    """A directory in which `require('sessionward')` and `require('express')` find this checkout's packages."""
    if shutil.which("node") is None or not (ROOT / "node" / "sessionward.node").exists():
        pytest.fail("the Node package is not built: run `npm ci` in node/ (scripts/test-all does)")
    modules = tmp_path / "node_modules"
    modules.mkdir()
    (modules / "sessionward").symlink_to(ROOT / "node")
    (modules / "express").symlink_to(ROOT / "node" / "node_modules" / "express")
    return tmp_path


@pytest.fixture
def running() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes started by a test, stopped (with their children) at its end."""
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def _start(command: list[str], cwd: Path, running: list[subprocess.Popen[str]], **env: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env}, text=True, start_new_session=True)
    running.append(process)
    return process


def test_express_quick_start(node_project: Path, running: list[subprocess.Popen[str]]) -> None:
    port = _free_port()
    code = code_block("Quick start: Express")
    assert "app.listen(3000);" in code
    (node_project / "app.js").write_text(code.replace("app.listen(3000);", f"app.listen({port}, '127.0.0.1');"))
    server = _start(["node", "app.js"], node_project, running)
    base = f"http://127.0.0.1:{port}"
    assert _wait_for(f"{base}/me", server).status_code == 401
    signed_in = httpx.post(f"{base}/login")
    assert signed_in.status_code == 200
    assert "access_token" not in signed_in.json()
    # The cookies are Secure (plain http here), so send them back by hand.
    cookies = "; ".join(c.split(";", 1)[0] for c in signed_in.headers.get_list("set-cookie"))
    me = httpx.get(f"{base}/me", headers={"cookie": cookies})
    assert me.json() == {"user": "user-42", "role": "editor"}
    assert (node_project / "sessions.db").exists()


@pytest.mark.parametrize("server", ["fastapi", "express"])
def test_demo_command_serves_the_demo(
    server: str, tmp_path: Path, running: list[subprocess.Popen[str]]
) -> None:
    port = _free_port()
    command = ["bash", "scripts/demo", "--no-build", "--port", str(port)] + (["--express"] if server == "express" else [])
    demo = _start(command, ROOT, running, SESSIONWARD_DEMO_DB=str(tmp_path / "demo.sqlite3"))
    page = _wait_for(f"http://127.0.0.1:{port}/", demo)
    assert page.status_code == 200
    assert "alice" in page.text

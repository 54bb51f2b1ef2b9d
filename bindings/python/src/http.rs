//! `HttpSessions`: how sessions travel over HTTP. The framework integrations hand it raw header values.

use crate::convert::now_or_clock;
use crate::errors::IntoPy;
use crate::manager::PySessionManager;
use crate::types::{PyAccessClaims, PyAccessToken, PyIssuedTokens};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use sessionward::transport::{CookieConfig, CsrfProtection, SameSite};
use sessionward::{HttpSessions, RequestHeaders, TransportMode};

/// Transport settings: mode (`"cookie"`, `"header"`, `"both"`), cookie names and attributes, CSRF.
#[pyclass(frozen, module = "sessionward._native", name = "HttpSessions")]
pub struct PyHttpSessions {
    inner: HttpSessions,
}

fn headers<'a>(
    method: &'a str,
    cookie: Option<&'a str>,
    authorization: Option<&'a str>,
    csrf: Option<&'a str>,
) -> RequestHeaders<'a> {
    RequestHeaders { method, cookie, authorization, csrf }
}

#[pymethods]
impl PyHttpSessions {
    #[new]
    #[pyo3(signature = (
        *, mode = "cookie", access_cookie = "sw_access", refresh_cookie = "sw_refresh", front_cookie = "sw_front",
        domain = None, secure = true, same_site = "lax", access_path = "/", refresh_path = "/auth/refresh",
        host_prefix = false, csrf = "double_submit", csrf_header = "x-csrf-token",
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        mode: &str,
        access_cookie: &str,
        refresh_cookie: &str,
        front_cookie: &str,
        domain: Option<String>,
        secure: bool,
        same_site: &str,
        access_path: &str,
        refresh_path: &str,
        host_prefix: bool,
        csrf: &str,
        csrf_header: &str,
    ) -> PyResult<Self> {
        let mode = match mode {
            "cookie" => TransportMode::Cookie,
            "header" => TransportMode::Header,
            "both" => TransportMode::Both,
            other => {
                return Err(PyValueError::new_err(format!("mode must be 'cookie', 'header' or 'both', not {other:?}")));
            }
        };
        let same_site = match same_site.to_ascii_lowercase().as_str() {
            "lax" => SameSite::Lax,
            "strict" => SameSite::Strict,
            "none" => SameSite::None,
            other => {
                return Err(PyValueError::new_err(format!(
                    "same_site must be 'lax', 'strict' or 'none', not {other:?}"
                )));
            }
        };
        let csrf = match csrf {
            "double_submit" => CsrfProtection::DoubleSubmit { header: csrf_header.to_ascii_lowercase() },
            "custom_header" => CsrfProtection::CustomHeader { header: csrf_header.to_ascii_lowercase() },
            "none" => CsrfProtection::None,
            other => {
                return Err(PyValueError::new_err(format!(
                    "csrf must be 'double_submit', 'custom_header' or 'none', not {other:?}"
                )));
            }
        };
        let cookies = CookieConfig {
            access_name: access_cookie.into(),
            refresh_name: refresh_cookie.into(),
            front_name: front_cookie.into(),
            domain,
            secure,
            same_site,
            access_path: access_path.into(),
            refresh_path: refresh_path.into(),
            host_prefix,
        };
        let inner = HttpSessions { mode, cookies, csrf };
        inner.validate().py_err()?;
        Ok(Self { inner })
    }

    /// The transport mode.
    #[getter]
    fn mode(&self) -> &'static str {
        match self.inner.mode {
            TransportMode::Cookie => "cookie",
            TransportMode::Header => "header",
            TransportMode::Both => "both",
        }
    }
    /// The request header carrying the CSRF token, or `None` when CSRF checks are off.
    #[getter]
    fn csrf_header(&self) -> Option<&str> {
        self.inner.csrf.header_name()
    }
    /// The path the refresh cookie is scoped to (mount the refresh route there).
    #[getter]
    fn refresh_path(&self) -> &str {
        &self.inner.cookies.refresh_path
    }
    /// The effective access cookie name.
    #[getter]
    fn access_cookie(&self) -> String {
        self.inner.cookies.access_cookie_name()
    }
    /// The effective front cookie name.
    #[getter]
    fn front_cookie(&self) -> String {
        self.inner.cookies.front_cookie_name()
    }
    /// The effective refresh cookie name.
    #[getter]
    fn refresh_cookie(&self) -> String {
        self.inner.cookies.refresh_cookie_name()
    }

    /// Verify a request's access token (and, for cookies on state-changing methods, its CSRF header).
    #[pyo3(signature = (manager, *, method, cookie = None, authorization = None, csrf = None, now = None))]
    #[allow(clippy::too_many_arguments)]
    fn authenticate(
        &self,
        py: Python<'_>,
        manager: &PySessionManager,
        method: &str,
        cookie: Option<&str>,
        authorization: Option<&str>,
        csrf: Option<&str>,
        now: Option<f64>,
    ) -> PyResult<PyAccessClaims> {
        let now = now_or_clock(py, now)?;
        let request = headers(method, cookie, authorization, csrf);
        let claims = py.detach(|| self.inner.authenticate(&manager.inner, &request, now)).py_err()?;
        Ok(PyAccessClaims { inner: claims })
    }

    /// Handle a refresh request: the refresh cookie (CSRF-checked) or `body_token` in header mode.
    #[pyo3(signature = (manager, *, method = "POST", cookie = None, authorization = None, csrf = None, body_token = None, now = None))]
    #[allow(clippy::too_many_arguments)]
    fn refresh(
        &self,
        py: Python<'_>,
        manager: &PySessionManager,
        method: &str,
        cookie: Option<&str>,
        authorization: Option<&str>,
        csrf: Option<&str>,
        body_token: Option<&str>,
        now: Option<f64>,
    ) -> PyResult<PyIssuedTokens> {
        let now = now_or_clock(py, now)?;
        let request = headers(method, cookie, authorization, csrf);
        let issued = py.detach(|| self.inner.refresh(&manager.inner, &request, body_token, now)).py_err()?;
        PyIssuedTokens::new(py, issued)
    }

    /// Handle a sign-out request; returns whether a session was revoked. Always send `clear_cookies()`.
    #[pyo3(signature = (manager, *, method = "POST", cookie = None, authorization = None, csrf = None, body_token = None, now = None))]
    #[allow(clippy::too_many_arguments)]
    fn logout(
        &self,
        py: Python<'_>,
        manager: &PySessionManager,
        method: &str,
        cookie: Option<&str>,
        authorization: Option<&str>,
        csrf: Option<&str>,
        body_token: Option<&str>,
        now: Option<f64>,
    ) -> PyResult<bool> {
        let now = now_or_clock(py, now)?;
        let request = headers(method, cookie, authorization, csrf);
        py.detach(|| self.inner.logout(&manager.inner, &request, body_token, now)).py_err()
    }

    /// `Set-Cookie` values for sign-in or refresh (empty in header mode).
    #[pyo3(signature = (issued, *, now = None))]
    fn session_cookies(&self, py: Python<'_>, issued: &PyIssuedTokens, now: Option<f64>) -> PyResult<Vec<String>> {
        let now = now_or_clock(py, now)?;
        let access = &issued.access.get().inner;
        let tokens = sessionward::IssuedTokens {
            access: access.clone(),
            refresh_token: issued.refresh_token.clone(),
            refresh_expires_at: issued.refresh_expires_at,
            session: issued.session.get().inner.clone(),
        };
        self.inner.session_cookies(&tokens, now).py_err()
    }

    /// `Set-Cookie` values after `regenerate_access_token` (empty in header mode).
    #[pyo3(signature = (access, session_expires_at, *, now = None))]
    fn access_cookies(
        &self,
        py: Python<'_>,
        access: &PyAccessToken,
        session_expires_at: i64,
        now: Option<f64>,
    ) -> PyResult<Vec<String>> {
        let now = now_or_clock(py, now)?;
        self.inner.access_cookies(&access.inner, session_expires_at, now).py_err()
    }

    /// `Set-Cookie` values deleting the session cookies (empty in header mode).
    fn clear_cookies(&self) -> Vec<String> {
        self.inner.clear_cookies()
    }
}

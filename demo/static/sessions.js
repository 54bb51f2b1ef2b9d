import { api, client, dateTime, leaveWhenSignedOut } from './common.js';

leaveWhenSignedOut();
const table = document.querySelector('#sessions tbody');
const status = document.querySelector('#status');

async function load() {
  const data = await api('/api/sessions');
  if (!data) return;
  table.replaceChildren(...data.sessions.map(row));
  document.querySelector('#revoke-others').disabled = data.sessions.length < 2;
}

function row(session) {
  const tr = document.createElement('tr');
  tr.dataset.handle = session.handle;
  if (session.current) tr.classList.add('current');
  const device = session.user_agent ?? 'unknown device';
  for (const text of [device, session.ip ?? '-', dateTime(session.created_at), dateTime(session.refreshed_at)]) {
    tr.insertCell().textContent = text;
  }
  const button = document.createElement('button');
  button.className = 'revoke';
  button.textContent = session.current ? 'Sign out (this device)' : 'Sign out this one';
  button.addEventListener('click', async () => {
    if (session.current) return client.logout();
    const done = await api(`/api/sessions/${encodeURIComponent(session.handle)}/revoke`, 'POST');
    await load();
    if (done) status.textContent = 'Signed out that device.';
  });
  tr.insertCell().append(button);
  return tr;
}

document.querySelector('#revoke-others').addEventListener('click', async () => {
  const done = await api('/api/sessions/revoke-others', 'POST');
  await load();
  if (done) status.textContent = `Signed out ${done.revoked} other device${done.revoked === 1 ? '' : 's'}.`;
});

await load();

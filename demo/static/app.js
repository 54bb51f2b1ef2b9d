import { api, client, config, leaveWhenSignedOut, time } from './common.js';

leaveWhenSignedOut();
const events = document.querySelector('#events');
function log(text, kind) {
  const item = document.createElement('li');
  if (kind) item.className = kind;
  item.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  events.prepend(item);
}

async function callApi() {
  const me = await api('/api/me');
  if (!me) return;
  document.querySelector('#who').textContent = `${me.name} (${me.user_id})`;
  document.querySelector('#api-result').textContent = JSON.stringify(me, null, 2);
  log(`API answered (token issued ${time(me.issued_at)})`, 'answered');
}

client.addEventListener('refreshed', (event) => {
  log(event.detail.source === 'tab' ? 'another tab refreshed the session' : 'session refreshed');
});
document.querySelector('#call-api').addEventListener('click', callApi);
document.querySelector('#ttl').textContent = `${config.access_ttl} s`;
document.querySelector('#ahead').textContent =
  config.refresh_ahead > 0 ? `${config.refresh_ahead} s before it expires` : 'off (refresh on the next call instead)';

// The countdown reads the front token, the only part of the session page script can see.
setInterval(() => {
  const session = client.session;
  const left = session ? Math.max(0, Math.round(session.expiresAt - Date.now() / 1000)) : 0;
  document.querySelector('#expires').textContent = session ? `${left} s (at ${time(session.expiresAt)})` : '-';
}, 250);

await callApi();

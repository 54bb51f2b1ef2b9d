import { client, config } from './common.js';

const MESSAGES = {
  theft:
    'Your session was ended for safety: its refresh token was used again from somewhere else ' +
    '(someone may have a copy of your cookies). Sign in again.',
  unauthorised: 'Your session has ended (signed out elsewhere, or expired). Sign in again.',
  logout: 'You are signed out.',
};

const reason = new URLSearchParams(location.search).get('reason');
if (!reason && client.signedIn) location.replace('/app');

document.querySelector('#password-hint').textContent = config.password;
document.querySelector('#server').textContent = config.server;
const users = document.querySelector('#username');
for (const user of config.users) users.add(new Option(user, user));
const notice = document.querySelector('#notice');
notice.textContent = MESSAGES[reason] ?? '';
notice.hidden = !MESSAGES[reason];
notice.classList.toggle('alarm', reason === 'theft');

document.querySelector('#signin').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const response = await client.fetch('/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: form.get('username'), password: form.get('password') }),
  });
  if (response.ok) {
    location.assign('/app');
  } else {
    notice.hidden = false;
    notice.classList.remove('alarm');
    notice.textContent =
      response.status === 401 ? 'Unknown user or wrong password.' : `Sign-in failed (${response.status}).`;
  }
});

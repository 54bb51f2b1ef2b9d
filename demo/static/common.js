// Shared by the demo pages: one sessionward client per tab, configured by the server that serves the page.
import { createClient } from '/lib/sessionward-browser.js';

export const config = await (await fetch('/api/config')).json();
export const client = createClient({ refreshAhead: config.refresh_ahead });
// For the curious (and the end-to-end tests): try `demo.client.refresh()` in the console.
globalThis.demo = { client, config };

/** On a protected page: go back to sign-in when the session ends, saying why. */
export function leaveWhenSignedOut() {
  client.addEventListener('signedout', (event) => {
    location.replace(`/?reason=${encodeURIComponent(event.detail.reason)}`);
  });
  document.querySelector('#logout')?.addEventListener('click', () => client.logout());
  document.querySelector('#server').textContent = config.server;
}

/** GET or POST a JSON API route through the client; resolves the parsed body, or null on an error status. */
export async function api(path, method = 'GET') {
  const response = await client.fetch(path, { method });
  return response.ok ? response.json() : null;
}

export function time(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString();
}

export function dateTime(seconds) {
  return new Date(seconds * 1000).toLocaleString();
}

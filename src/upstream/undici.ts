// The parts of undici the proxy uses — Pool (hs2 upstream), Client (health probes) and request() —
// imported from their own files instead of the package's index, which loads all of undici: fetch,
// WebSocket, EventSource, caches, cookies, mock agents, proxy agents, interceptors. At start-up the
// index costs 28 MiB of RSS, these files 16 (Node 24, undici 8; most of that is node:http, node:tls
// and node:http2, which they need). undici has no "exports" map, so its lib/ files are part of
// what it publishes; test/unit/undici.test.ts checks that these are the very objects its index
// exports, so an upgrade that moves them fails there, not in production.
//
// The index also adds request() to Dispatcher.prototype as a side effect; without it, a Client has
// no request method, so request() is a function here: `request.call(client, options)`.
export { default as Pool } from 'undici/lib/dispatcher/pool.js';
export { default as Client } from 'undici/lib/dispatcher/client.js';
export { default as request } from 'undici/lib/api/api-request.js';

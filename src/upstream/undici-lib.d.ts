// Types of the three undici files src/upstream/undici.ts imports directly: undici's own declarations
// (its index.d.ts types exactly these classes and this function). test/unit/undici.test.ts checks
// that they are the objects the package's index exports.
declare module 'undici/lib/dispatcher/pool.js' {
  import { Pool } from 'undici';
  export default Pool;
}

declare module 'undici/lib/dispatcher/client.js' {
  import { Client } from 'undici';
  export default Client;
}

declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';
  /** Dispatcher.prototype.request, which undici's index adds to every dispatcher. */
  export default function request<TOpaque = null>(this: Dispatcher, options: Dispatcher.RequestOptions<TOpaque>): Promise<Dispatcher.ResponseData<TOpaque>>;
}

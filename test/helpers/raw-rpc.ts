// One hs2 RPC with hand-made headers (crafted cookies, odd methods), on its own TLS connection.
import { request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { readCert } from './certs.ts';

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export function postRaw(baseUrl: string, body: Buffer | null, headers: Record<string, string> = {}, method = 'POST', path = '/cliservice'): Promise<RawResponse> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname: url.hostname, port: url.port, path: url.pathname + url.search, method, ca: readCert('ca.pem'), agent: false, headers: { 'content-type': 'application/x-thrift', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

import { describe, expect, it } from 'vitest';
import { readRequestHead } from '../../src/hs2/request-head.ts';

describe('readRequestHead', () => {
  const raw = [
    'Host', 'proxy:28000',
    'User-Agent', 'Python/ImpylaHttpClient',
    'Cookie', 'impala.auth=a&u=x',
    'Content-Length', '300',
    'Connection', 'keep-alive',
    'X-Forwarded-For', '10.0.0.1',
    'X-Forwarded-Proto', 'http',
    'Expect', '100-continue',
    'Transfer-Encoding', 'chunked',
    'cookie', 'impala.session.id=v1.x',
    'Content-Type', 'application/x-thrift',
  ];

  it('forwards end-to-end headers as sent and keeps the ones the proxy rewrites aside', () => {
    const head = readRequestHead(raw, false);
    expect(head.forward).toEqual(['User-Agent', 'Python/ImpylaHttpClient', 'Content-Type', 'application/x-thrift']);
    expect(head.cookie).toBe('impala.auth=a&u=x; impala.session.id=v1.x');
    expect(head.contentLength).toBe('300');
    expect(head.xForwardedFor).toBe('10.0.0.1');
  });

  it('forwards X-Forwarded-For unchanged when the proxy leaves it alone', () => {
    const head = readRequestHead(raw, true);
    expect(head.forward).toEqual(['User-Agent', 'Python/ImpylaHttpClient', 'X-Forwarded-For', '10.0.0.1', 'Content-Type', 'application/x-thrift']);
  });

  it('joins repeated X-Forwarded-For lines in order', () => {
    expect(readRequestHead(['X-Forwarded-For', '1.1.1.1', 'x-forwarded-for', '2.2.2.2'], false).xForwardedFor).toBe('1.1.1.1, 2.2.2.2');
    expect(readRequestHead(['X-Forwarded-Host', 'evil.example', 'Forwarded', 'for=6.6.6.6', 'X-Request-Id', 'a'], false).forward).toEqual(['X-Request-Id', 'a']);
  });

  it('drops the headers a Connection header names, wherever that header comes', () => {
    const head = readRequestHead(['X-Trace', '1', 'Connection', 'close, X-Trace', 'connection', 'x-debug', 'X-Debug', 'on', 'Accept', '*/*'], false);
    expect(head.forward).toEqual(['Accept', '*/*']);
  });

  it('reads an empty head', () => {
    expect(readRequestHead([], false)).toEqual({ forward: [], cookie: undefined, xForwardedFor: undefined, contentLength: undefined });
  });
});

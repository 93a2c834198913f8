import { createSecureContext } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { needsFrontTls, needsUpstreamTls, tlsConnectOptions, tlsProblems, upstreamTlsOptions } from '../../src/tls/files.ts';
import { certPath } from '../helpers/certs.ts';

const upstreamTls = (tls: Record<string, unknown> = {}) =>
  upstreamTlsOptions(validateConfig({ coordinators: [{ name: 'a', host: 'h' }], listen: { http: { port: 8080 }, https: null }, upstream: { mode: 'tls', tls: { caFile: certPath('ca.pem'), ...tls } } }).upstream.tls);

describe('upstreamTlsOptions', () => {
  it('carries the SecureContext it built, for every connection to reuse', () => {
    const options = upstreamTls();
    expect(options.secureContext).toBeInstanceOf(createSecureContext().constructor);
    expect(tlsConnectOptions(options, 'coordinator-1.example').secureContext).toBe(options.secureContext);
  });
});

describe('tlsConnectOptions', () => {
  it.each([
    ['a host name', 'coordinator-1.example', 'coordinator-1.example'],
    ['an IPv4 address', '127.0.0.1', undefined],
    ['an IPv6 address', '::1', undefined],
    // isHostName in tcp/connection.ts took every all-digits-and-dots string for an address.
    ['not an address, though digits and dots', '10.0.0.256', '10.0.0.256'],
  ])('SNI for %s: %s', (_what, host, servername) => {
    expect(tlsConnectOptions(upstreamTls(), host).servername).toBe(servername);
  });

  it('upstream.tls.servername wins over the host', () => {
    expect(tlsConnectOptions(upstreamTls({ servername: 'impala.example' }), 'coordinator-1.example').servername).toBe('impala.example');
  });

  it('verifies unless upstream.tls.rejectUnauthorized is false, also without upstream TLS options', () => {
    expect(tlsConnectOptions(undefined, 'h').rejectUnauthorized).toBe(true);
    expect(tlsConnectOptions(upstreamTls(), 'h').rejectUnauthorized).toBe(true);
    expect(tlsConnectOptions(upstreamTls({ rejectUnauthorized: false }), 'h').rejectUnauthorized).toBe(false);
  });
});

describe('needsFrontTls and needsUpstreamTls: which TLS material a config uses (a start and --check-config read the same)', () => {
  const front = { certFile: certPath('proxy.pem'), keyFile: certPath('proxy-key.pem') };
  const httpOnly = { http: { port: 8080 }, https: null };
  const config = (input: Partial<ConfigInput>) => validateConfig({ coordinators: [{ name: 'a', host: 'h' }], admin: null, ...input });
  const tcp = (tls: 'none' | 'passthrough' | 'terminate' | 'bridge') => [{ name: 'hs2', port: 21050, tls }];

  it.each<[string, Partial<ConfigInput>, boolean, boolean]>([
    ['https, upstream plain', { listen: { https: { port: 8443 } }, tls: front }, true, false],
    ['upstream.mode tls (hs2 pools and probes)', { listen: httpOnly, upstream: { mode: 'tls' } }, false, true],
    ['upstream.mode tls, webuiMode plain', { listen: httpOnly, upstream: { mode: 'tls', webuiMode: 'plain' } }, false, true],
    ['upstream.webuiMode tls only (web UI proxy and probes)', { listen: httpOnly, upstream: { mode: 'plain', webuiMode: 'tls' } }, false, true],
    ['a TCP bridge, upstream.mode plain', { listen: httpOnly, tls: front, tcp: tcp('bridge') }, true, true],
    ['a TCP terminate, upstream.mode plain', { listen: httpOnly, tls: front, tcp: tcp('terminate') }, true, false],
    ['a TCP passthrough', { listen: httpOnly, tcp: tcp('passthrough') }, false, false],
    ['a plain TCP listener, tls given but unused', { listen: httpOnly, tls: front, tcp: tcp('none') }, false, false],
  ])('%s: front %s, upstream %s', (_what, input, front, upstream) => {
    const validated = config(input);
    expect(needsFrontTls(validated)).toBe(front);
    expect(needsUpstreamTls(validated)).toBe(upstream);
  });

  it('tlsProblems checks upstream.tls files only when something uses them', () => {
    const upstream = { tls: { caFile: certPath('no-such-ca.pem') } };
    expect(tlsProblems(config({ listen: httpOnly, upstream: { mode: 'plain', ...upstream } }))).toEqual([]);
    expect(tlsProblems(config({ listen: httpOnly, tls: front, tcp: tcp('bridge'), upstream: { mode: 'plain', ...upstream } }))).toEqual([
      expect.stringMatching(/^upstream\.tls\.caFile: cannot read .*no-such-ca\.pem: no such file$/),
    ]);
  });
});

import { createSecureContext } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { tlsConnectOptions, upstreamTlsOptions } from '../../src/tls/files.ts';
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

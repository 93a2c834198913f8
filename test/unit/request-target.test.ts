import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { maxRequestTargetLength, parseRequestTarget } from '../../src/hs2/request-target.ts';

// undici's own request validation (lib/core/request.js), which runs synchronously inside
// Pool.dispatch: everything parseRequestTarget accepts must get past it.
const require = createRequire(import.meta.url);
const UndiciRequest = require('undici/lib/core/request.js') as new (origin: string, options: object, handler: object) => { path: string };
const handler = { onRequestStart() {}, onResponseStart() {}, onResponseData() {}, onResponseEnd() {}, onResponseError() {} };
function undiciAccepts(path: string): boolean {
  try {
    new UndiciRequest('https://127.0.0.1:28000', { path, method: 'POST', headers: [], body: null }, handler);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code !== 'UND_ERR_INVALID_ARG') throw error;
    return false;
  }
}

const ok = (path: string) => ({ kind: 'ok', path });

describe('parseRequestTarget', () => {
  it('passes origin-form targets through unchanged', () => {
    for (const path of ['/', '/cliservice', '/cliservice?doAs=bob&x=1', '/a/b/../c', '//double', '/%2F%20', "/!$&'()*+,;=:@~-._"]) {
      expect(parseRequestTarget(path)).toEqual(ok(path));
    }
  });

  it('rewrites absolute-form http(s) targets to origin-form and ignores the authority', () => {
    expect(parseRequestTarget('https://127.0.0.1:8443/cliservice')).toEqual(ok('/cliservice'));
    expect(parseRequestTarget('http://impala.example.com/cliservice?doAs=bob')).toEqual(ok('/cliservice?doAs=bob'));
    expect(parseRequestTarget('HTTPS://Proxy:8443/x')).toEqual(ok('/x')); // schemes are case-insensitive
    expect(parseRequestTarget('http://[::1]:8443/cliservice')).toEqual(ok('/cliservice'));
    // RFC 9112 §3.2.1: an empty path is "/".
    expect(parseRequestTarget('https://proxy:8443')).toEqual(ok('/'));
    expect(parseRequestTarget('https://proxy:8443?x=1')).toEqual(ok('/?x=1'));
    // The authority never routes: another host's name changes nothing.
    expect(parseRequestTarget('http://169.254.169.254/latest/meta-data')).toEqual(ok('/latest/meta-data'));
  });

  it('refuses asterisk-form, authority-form, other schemes and garbage', () => {
    const cases: [string | undefined, RegExp][] = [
      [undefined, /empty/],
      ['', /empty/],
      ['*', /asterisk-form/],
      ['127.0.0.1:8443', /not a path/],
      ['proxy:8443', /not a path/],
      ['cliservice', /not a path/],
      ['ftp://x/cliservice', /scheme other than http/],
      ['file:///etc/passwd', /scheme other than http/],
      ['ws://proxy/cliservice', /scheme other than http/],
      ['javascript:alert(1)', /not a path/],
      ['http:/cliservice', /not a path/],
      ['http:///cliservice', /without a host/],
      ['https://user:secret@proxy/cliservice', /userinfo/],
      ['https://proxy/cli\u0000service', /control/],
      ['https://pro xy/cliservice', /control/],
      ['https://proxy/cliservice#frag', /fragment/],
      ['https://proxy#frag', /fragment/],
      ['\\cliservice', /not a path/],
      [' /cliservice', /not a path/],
    ];
    for (const [target, reason] of cases) {
      const result = parseRequestTarget(target);
      expect(result.kind, JSON.stringify(target)).toBe('invalid');
      if (result.kind === 'invalid') expect(result.reason, JSON.stringify(target)).toMatch(reason);
    }
  });

  it('refuses control characters, spaces, DEL, non-ASCII and "#" anywhere in an origin-form path', () => {
    const wrong: string[] = [];
    for (let code = 0; code <= 0xffff; code++) {
      const isAllowed = code >= 0x21 && code <= 0x7e && code !== 0x23;
      if ((parseRequestTarget(`/cli${String.fromCharCode(code)}service`).kind === 'ok') !== isAllowed) wrong.push(`U+${code.toString(16)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('refuses a target longer than maxRequestTargetLength', () => {
    expect(parseRequestTarget(`/${'a'.repeat(maxRequestTargetLength - 1)}`).kind).toBe('ok');
    expect(parseRequestTarget(`/${'a'.repeat(maxRequestTargetLength)}`)).toEqual({ kind: 'invalid', reason: expect.stringMatching(/longer than 8000/) });
    expect(parseRequestTarget(`https://x/${'a'.repeat(maxRequestTargetLength)}`).kind).toBe('invalid');
  });
});

describe('parseRequestTarget against undici (lib/core/request.js)', () => {
  it('undici rejects what the issue saw reaching it: "*", other schemes, no leading slash, control characters', () => {
    // The shapes of issue 10 item 2: each made Pool.dispatch throw synchronously.
    for (const path of ['*', 'ftp://x/cliservice', 'proxy:8443', 'cliservice', '/cli service', '/cli\u0000service', '/cli\u0100service']) {
      expect(undiciAccepts(path), path).toBe(false);
      expect(parseRequestTarget(path).kind, path).toBe('invalid');
    }
  });

  it('every target parseRequestTarget accepts, undici accepts as a path', () => {
    const targets: string[] = ['/', '/cliservice', 'https://127.0.0.1:8443/cliservice', 'http://x', 'https://x?q=1', 'HTTP://x/y'];
    // One of each UTF-16 code unit in a path, in a query and in an absolute-form authority.
    for (let code = 0; code <= 0x2ff; code++) {
      const char = String.fromCharCode(code);
      targets.push(`/a${char}b`, `/?q=${char}`, `${char}`, `/${char}`, `https://h${char}st/x`, `https://host/${char}`, `${char}https://host/`);
    }
    let accepted = 0;
    for (const target of targets) {
      const result = parseRequestTarget(target);
      if (result.kind !== 'ok') continue;
      accepted++;
      expect(result.path.startsWith('/'), target).toBe(true);
      expect(undiciAccepts(result.path), JSON.stringify(target)).toBe(true);
    }
    expect(accepted).toBeGreaterThan(400); // the loop above did test something
  });
});

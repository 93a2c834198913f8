import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatSetCookie, takeAffinityCookie } from '../../src/affinity/cookie-header.ts';
import { TokenTable, makeToken, tokenLength } from '../../src/affinity/token.ts';

const name = 'impala.session.id';

describe('makeToken', () => {
  it('is "v1." + base64url of the first 16 bytes of HMAC-SHA256(secret, "v1:" + name)', () => {
    const mac = createHmac('sha256', 'secret-1').update('v1:impalad-1').digest();
    const token = makeToken('secret-1', 'impalad-1');
    expect(token).toBe(`v1.${mac.subarray(0, 16).toString('base64url')}`);
    expect(token).toMatch(/^v1\.[A-Za-z0-9_-]{22}$/);
    expect(token.length).toBe(25);
    expect(tokenLength).toBe(25);
  });

  it('pins a known value, so replicas and releases agree', () => {
    // Computed independently: python3 -c "import hmac,hashlib,base64;
    //   print(base64.urlsafe_b64encode(hmac.new(b'secret-1', b'v1:impalad-1', hashlib.sha256).digest()[:16]))" (then drop the '=' padding)
    expect(makeToken('secret-1', 'impalad-1')).toBe('v1.e_U0By057xbtvVgyqcW4GQ');
  });

  it('is stable for the same secret and name (two replicas agree)', () => {
    expect(new TokenTable(['s'], ['impalad-1']).tokenFor('impalad-1')).toBe(new TokenTable(['s'], ['impalad-2', 'impalad-1']).tokenFor('impalad-1'));
  });

  it('differs across secrets and across names, and never shows the name', () => {
    const tokens = new Set([makeToken('a', 'impalad-1'), makeToken('b', 'impalad-1'), makeToken('a', 'impalad-2'), makeToken('b', 'impalad-2')]);
    expect(tokens.size).toBe(4);
    for (const token of tokens) expect(token).not.toContain('impalad');
  });
});

describe('TokenTable', () => {
  const names = ['impalad-1', 'impalad-2', 'impalad-3'];

  it('maps each current token back to its coordinator', () => {
    const table = new TokenTable(['new'], names);
    for (const coordinator of names) {
      expect(table.tokenFor(coordinator)).toBe(makeToken('new', coordinator));
      expect(table.lookup(makeToken('new', coordinator))).toEqual({ name: coordinator, isCurrent: true });
    }
    expect(table.tokenFor('impalad-4')).toBeUndefined();
  });

  it('verifies a token made with an older secret as not current, and signs with the first', () => {
    const table = new TokenTable(['new', 'old'], names);
    expect(table.lookup(makeToken('old', 'impalad-2'))).toEqual({ name: 'impalad-2', isCurrent: false });
    expect(table.lookup(makeToken('new', 'impalad-2'))).toEqual({ name: 'impalad-2', isCurrent: true });
    expect(table.tokenFor('impalad-2')).toBe(makeToken('new', 'impalad-2'));
  });

  it('rejects tokens of unknown secrets, removed coordinators and wrong lengths', () => {
    const table = new TokenTable(['new', 'old'], names);
    const good = makeToken('new', 'impalad-1');
    expect(table.lookup(makeToken('other', 'impalad-1'))).toBeUndefined();
    expect(table.lookup(makeToken('new', 'impalad-9'))).toBeUndefined();
    expect(table.lookup(`${good}x`)).toBeUndefined();
    expect(table.lookup(good.slice(0, -1))).toBeUndefined();
    expect(table.lookup('')).toBeUndefined();
    expect(table.lookup('impalad-1')).toBeUndefined();
  });

  it('needs a secret', () => {
    expect(() => new TokenTable([], names)).toThrow('TokenTable needs at least one secret');
  });
});

describe('takeAffinityCookie', () => {
  const token = makeToken('s', 'impalad-1');

  it('returns absent for no header or an empty header', () => {
    const absent = { value: undefined, isMalformed: false, forwardHeader: undefined };
    expect(takeAffinityCookie(undefined, name)).toEqual(absent);
    expect(takeAffinityCookie('', name)).toEqual(absent);
  });

  it('passes a header without our cookie through as the same string (fast path)', () => {
    const header = 'impala.auth=abc;other=1';
    const result = takeAffinityCookie(header, name);
    expect(result).toEqual({ value: undefined, isMalformed: false, forwardHeader: header });
    expect(result.forwardHeader).toBe(header);
  });

  it('takes our cookie and strips it from the forwarded header, keeping the others in order', () => {
    expect(takeAffinityCookie(`a=1; ${name}=${token}; impala.auth=xyz; b=2`, name)).toEqual({
      value: token,
      isMalformed: false,
      forwardHeader: 'a=1; impala.auth=xyz; b=2',
    });
  });

  it('gives undefined as the forward header when ours was the only cookie', () => {
    expect(takeAffinityCookie(`${name}=${token}`, name)).toEqual({ value: token, isMalformed: false, forwardHeader: undefined });
    expect(takeAffinityCookie(` ${name}=${token} ; `, name)).toEqual({ value: token, isMalformed: false, forwardHeader: undefined });
  });

  it('treats a duplicated cookie as malformed, and still strips both', () => {
    expect(takeAffinityCookie(`${name}=${token}; x=1; ${name}=${token}`, name)).toEqual({ value: undefined, isMalformed: true, forwardHeader: 'x=1' });
    expect(takeAffinityCookie(`${name}=a; ${name}=b`, name)).toEqual({ value: undefined, isMalformed: true, forwardHeader: undefined });
  });

  it('treats an empty value as malformed', () => {
    expect(takeAffinityCookie(`${name}=; x=1`, name)).toEqual({ value: undefined, isMalformed: true, forwardHeader: 'x=1' });
    expect(takeAffinityCookie(`${name}=""`, name)).toEqual({ value: undefined, isMalformed: true, forwardHeader: undefined });
    expect(takeAffinityCookie(name, name)).toEqual({ value: undefined, isMalformed: true, forwardHeader: undefined });
  });

  it('unquotes a quoted value (RFC 6265 cookie-value may be DQUOTEd)', () => {
    expect(takeAffinityCookie(`${name}="${token}"`, name).value).toBe(token);
    expect(takeAffinityCookie(`${name}="`, name).value).toBe('"');
  });

  it('does not confuse a cookie whose name contains ours', () => {
    expect(takeAffinityCookie(`x${name}=1; ${name}.old=2`, name)).toEqual({
      value: undefined,
      isMalformed: false,
      forwardHeader: `x${name}=1; ${name}.old=2`,
    });
  });

  it('stripAuth removes impala.auth only', () => {
    expect(takeAffinityCookie(`impala.auth=old; ${name}=${token}; impala.authz=1; b=2`, name, true)).toEqual({
      value: token,
      isMalformed: false,
      forwardHeader: 'impala.authz=1; b=2',
    });
    // Also without our cookie in the header (no fast path then).
    expect(takeAffinityCookie('a=1; impala.auth=old', name, true)).toEqual({ value: undefined, isMalformed: false, forwardHeader: 'a=1' });
    expect(takeAffinityCookie('impala.auth=old', name, true)).toEqual({ value: undefined, isMalformed: false, forwardHeader: undefined });
  });

  it('works with a configured cookie name', () => {
    expect(takeAffinityCookie(`${name}=foreign; pin=${token}`, 'pin')).toEqual({ value: token, isMalformed: false, forwardHeader: `${name}=foreign` });
  });
});

/**
 * A port of Python 3.11 http.cookies (BaseCookie.__parse_string, _CookiePattern) as used by
 * impyla and impala-shell: returns undefined where Python would drop the whole header.
 */
/** `unreserved`: attribute names an older Python does not know (2.7-3.7: samesite). */
function parseLikePython(header: string, unreserved: readonly string[] = []): { key: string; value: string; attributes: Record<string, string | true> } | undefined {
  const keyChars = "\\w\\d!#%&'~_`><@,:/\\$\\*\\+\\-\\.\\^\\|\\)\\(\\?\\}\\{\\=";
  const valueChars = `${keyChars}\\[\\]`;
  const pattern = new RegExp(
    `\\s*(?<key>[${keyChars}]+?)(\\s*=\\s*(?<val>"(?:[^\\\\"]|\\\\.)*"|\\w{3},\\s[\\w\\d\\s-]{9,11}\\s[\\d:]{8}\\sGMT|[${valueChars}]*))?\\s*(\\s+|;|$)`,
    'y',
  );
  const reserved = new Set(['expires', 'path', 'comment', 'domain', 'max-age', 'secure', 'httponly', 'version', 'samesite'].filter((key) => !unreserved.includes(key)));
  const flags = new Set(['secure', 'httponly']);
  let morsel: { key: string; value: string; attributes: Record<string, string | true> } | undefined;
  let index = 0;
  while (index < header.length) {
    pattern.lastIndex = index;
    const match = pattern.exec(header);
    if (!match) break;
    index = pattern.lastIndex;
    const key = match.groups!.key!;
    const value = match.groups!.val;
    if (key.startsWith('$')) continue;
    if (reserved.has(key.toLowerCase())) {
      if (!morsel) return undefined;
      if (value === undefined) {
        if (!flags.has(key.toLowerCase())) return undefined;
        morsel.attributes[key.toLowerCase()] = true;
      } else {
        morsel.attributes[key.toLowerCase()] = value;
      }
    } else if (value !== undefined) {
      if (morsel) return morsel; // a second cookie: Python keeps both; we only ever send one
      morsel = { key, value, attributes: {} };
    } else {
      return undefined;
    }
  }
  return morsel;
}

describe('parseLikePython (the port itself, checked against Python 3.11.7)', () => {
  it('drops a cookie with Partitioned or with a space in the value', () => {
    expect(parseLikePython('a=b; Path=/; Partitioned')).toBeUndefined();
    expect(parseLikePython('a=b c; Path=/')).toBeUndefined();
  });

  it('parses attributes and flags', () => {
    expect(parseLikePython('a=b; Path=/; HttpOnly; Secure; Max-Age=3600')).toEqual({
      key: 'a',
      value: 'b',
      attributes: { path: '/', httponly: true, secure: true, 'max-age': '3600' },
    });
  });
});

describe('formatSetCookie', () => {
  const token = makeToken('s', 'impalad-1');

  it('writes Path=/, HttpOnly and SameSite=Strict, Secure only on TLS, no Max-Age by default', () => {
    expect(formatSetCookie(token, { name, isSecure: true, maxAgeSec: null })).toBe(`${name}=${token}; Path=/; HttpOnly; Secure; SameSite=Strict`);
    expect(formatSetCookie(token, { name, isSecure: false, maxAgeSec: null })).toBe(`${name}=${token}; Path=/; HttpOnly; SameSite=Strict`);
  });

  it('writes Max-Age when configured, and Max-Age=0 deletes', () => {
    expect(formatSetCookie(token, { name, isSecure: true, maxAgeSec: 3600 })).toBe(`${name}=${token}; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Strict`);
    expect(formatSetCookie(token, { name, isSecure: false, maxAgeSec: 0 })).toBe(`${name}=${token}; Max-Age=0; Path=/; HttpOnly; SameSite=Strict`);
  });

  it('never writes Expires or Partitioned', () => {
    for (const isSecure of [true, false]) {
      for (const maxAgeSec of [null, 60]) {
        const cookie = formatSetCookie(token, { name, isSecure, maxAgeSec });
        expect(cookie.toLowerCase()).not.toContain('expires');
        expect(cookie.toLowerCase()).not.toContain('partitioned');
      }
    }
  });

  it('is accepted by Python-like parsing for every token shape', () => {
    // Tokens for many names cover every base64url character, including "-" and "_".
    for (let i = 0; i < 200; i++) {
      const value = makeToken(`secret-${i}`, `impalad-${i}`);
      const cookie = formatSetCookie(value, { name, isSecure: true, maxAgeSec: 86400 });
      expect(parseLikePython(cookie)).toEqual({
        key: name,
        value,
        attributes: { path: '/', httponly: true, secure: true, 'max-age': '86400', samesite: 'Strict' },
      });
    }
  });

  it('keeps our cookie whole for Python <= 3.7, which reads SameSite=Strict as a second cookie that takeAffinityCookie drops', () => {
    // What SimpleCookie of Python 2.7/3.6/3.7 makes of it (checked with each): no 'samesite' reserved.
    const cookie = formatSetCookie(token, { name, isSecure: true, maxAgeSec: null });
    expect(cookie.endsWith('; SameSite=Strict')).toBe(true);
    expect(parseLikePython(cookie, ['samesite'])).toEqual({ key: name, value: token, attributes: { path: '/', httponly: true, secure: true } });
    // Such a client sends back `impala.session.id=…; SameSite=Strict`.
    expect(takeAffinityCookie(`impala.auth=x; ${name}=${token}; SameSite=Strict`, name)).toEqual({ value: token, isMalformed: false, forwardHeader: 'impala.auth=x' });
    expect(takeAffinityCookie(`${name}=${token}; SameSite=Strict`, name).forwardHeader).toBeUndefined();
    // Also when our cookie is not there (the fast path once forwarded it).
    expect(takeAffinityCookie('impala.auth=x; SameSite=Strict', name)).toEqual({ value: undefined, isMalformed: false, forwardHeader: 'impala.auth=x' });
    expect(takeAffinityCookie('SameSite=Strict', name).forwardHeader).toBeUndefined();
  });

  it('round-trips through takeAffinityCookie', () => {
    const cookie = formatSetCookie(token, { name, isSecure: true, maxAgeSec: null });
    const pair = cookie.slice(0, cookie.indexOf(';'));
    expect(takeAffinityCookie(`impala.auth=x; ${pair}`, name)).toEqual({ value: token, isMalformed: false, forwardHeader: 'impala.auth=x' });
  });
});

import { describe, expect, it } from 'vitest';
import { parseUiTarget } from '../../src/webui/path.ts';

describe('parseUiTarget', () => {
  it.each(['/ui', '/ui/', '/ui?x=1', '/ui/?x=1'])('%s is the index', (url) => {
    expect(parseUiTarget(url)).toEqual({ kind: 'index' });
  });

  it('redirects /ui/<n> to /ui/<n>/ keeping the query', () => {
    expect(parseUiTarget('/ui/2')).toEqual({ kind: 'redirect', key: '2', location: '/ui/2/' });
    expect(parseUiTarget('/ui/coord-b?json')).toEqual({ kind: 'redirect', key: 'coord-b', location: '/ui/coord-b/?json' });
  });

  it.each([
    ['/ui/2/', '/'],
    ['/ui/2/queries', '/queries'],
    ['/ui/2/queries?json', '/queries?json'],
    ['/ui/2//queries?json', '/queries?json'], // make_url() from the rewritten root link
    ['/ui/2///www//jquery/x.js', '/www/jquery/x.js'],
    ['/ui/2/www/', '/www/'],
    ['/ui/2/./queries', '/queries'],
    ['/ui/2/%2E/queries', '/queries'],
    ['/ui/2/query_plan?query_id=ab:cd&json', '/query_plan?query_id=ab:cd&json'],
    ['/ui/2/x?a=../../etc&b=%2f', '/x?a=../../etc&b=%2f'], // the query is opaque
    ['/ui/2/queries#frag', '/queries'],
    ['/ui/2/file..txt', '/file..txt'],
  ])('%s → %s', (url, upstreamPath) => {
    expect(parseUiTarget(url)).toMatchObject({ kind: 'proxy', key: '2', prefix: '/ui/2', upstreamPath });
  });

  it('takes the path of an absolute-form target and ignores its authority', () => {
    expect(parseUiTarget('http://evil.example.com/ui/2/queries')).toMatchObject({ kind: 'proxy', key: '2', upstreamPath: '/queries' });
    expect(parseUiTarget('https://evil.example.com:8443/ui/1//x?y')).toMatchObject({ kind: 'proxy', key: '1', upstreamPath: '/x?y' });
    expect(parseUiTarget('http://evil.example.com')).toMatchObject({ kind: 'invalid' });
  });

  it.each([
    '/ui/2/../../etc/passwd',
    '/ui/2/www/../..',
    '/ui/2/%2e%2e/x',
    '/ui/2/%2E%2e/x',
    '/ui/2/.%2E/x',
    '/ui/2/a%2fb',
    '/ui/2/a%2F..%2Fb',
    '/ui/2/a%5cb',
    '/ui/2/a\\b',
    '/ui/2/%00',
    '/ui/../x',
    '/ui/%2e%2e/x',
    '/ui/./x',
    '/ui//x',
    '*',
    'evil.example.com:443',
    '/other',
    '/uix',
  ])('rejects %s', (url) => {
    expect(parseUiTarget(url)).toMatchObject({ kind: 'invalid' });
  });
});

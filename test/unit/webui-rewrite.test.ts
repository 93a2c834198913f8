import { describe, expect, it } from 'vitest';
import { hasRewritableLocation, UiRewriter } from '../../src/webui/rewrite.ts';

const rewriter = new UiRewriter({
  prefix: '/ui/2',
  ownAuthorities: ['coord-b.example.com:25000', '127.0.0.1:25001'],
  peers: new Map([['coord-a.example.com:25000', '/ui/1']]),
});

describe('UiRewriter.url', () => {
  it.each([
    ['/queries', '/ui/2/queries'],
    ['/', '/ui/2/'],
    ['/www/bootstrap/css/bootstrap.min.css', '/ui/2/www/bootstrap/css/bootstrap.min.css'],
    ['/query_plan?query_id=1:2&json', '/ui/2/query_plan?query_id=1:2&json'],
    // make_url() style double slash: a path, not a host (no dot, colon or localhost)
    ['//rpcz?json', '/ui/2//rpcz?json'],
    ['//www/jquery/jquery-3.5.1.min.js', '/ui/2//www/jquery/jquery-3.5.1.min.js'],
    ['//', '/ui/2//'],
    // absolute URLs to this coordinator and to a peer
    ['https://coord-b.example.com:25000/queries', '/ui/2/queries'],
    ['HTTP://COORD-B.example.com:25000', '/ui/2/'],
    ['http://127.0.0.1:25001/sessions?json', '/ui/2/sessions?json'],
    ['https://coord-a.example.com:25000/backends', '/ui/1/backends'],
    ['//coord-a.example.com:25000/backends', '/ui/1/backends'],
    ['  /queries', '  /ui/2/queries'],
  ])('%s → %s', (input, expected) => {
    expect(rewriter.url(input)).toBe(expected);
  });

  it.each([
    'set_glog_level', // log_level.tmpl's relative form action
    '?json',
    '#anchor',
    'queries',
    '//cdn.example.com/lib.js', // protocol-relative external
    '//localhost/x',
    '//10.0.0.1:8080/x',
    'https://impala.apache.org/docs',
    'https://coord-b.example.com:25999/queries', // other port: not this web UI
    'javascript:void(0)',
    'data:image/png;base64,AAAA',
    'mailto:a@b',
  ])('keeps %s', (input) => {
    expect(rewriter.url(input)).toBeUndefined();
  });

  it('matches an absolute URL without port against the default port', () => {
    const r = new UiRewriter({ prefix: '/ui/1', ownAuthorities: ['impala.example.com:443'] });
    expect(r.url('https://impala.example.com/queries')).toBe('/ui/1/queries');
    expect(r.url('http://impala.example.com/queries')).toBeUndefined();
  });
});

describe('UiRewriter.location', () => {
  it.each([201, 301, 302, 303, 307, 308])('%i is rewritable', (status) => {
    expect(hasRewritableLocation(status)).toBe(true);
  });
  it.each([200, 204, 300, 304, 404])('%i is not', (status) => {
    expect(hasRewritableLocation(status)).toBe(false);
  });
  it('rewrites root-relative and backend-absolute, keeps relative and foreign', () => {
    expect(rewriter.location('/queries')).toBe('/ui/2/queries');
    expect(rewriter.location('https://coord-b.example.com:25000/login?next=%2Fqueries')).toBe('/ui/2/login?next=%2Fqueries');
    expect(rewriter.location('queries')).toBe('queries');
    expect(rewriter.location('https://sso.example.com/auth?x=1')).toBe('https://sso.example.com/auth?x=1');
  });
});

describe('UiRewriter.setCookie', () => {
  it('adds the prefix path to a cookie without Path (impala.auth)', () => {
    expect(rewriter.setCookie('impala.auth=c2ln+/=&alice&1700000000&rnd; HttpOnly; Max-Age=86400; SameSite=Strict')).toBe(
      'impala.auth=c2ln+/=&alice&1700000000&rnd; HttpOnly; Max-Age=86400; SameSite=Strict; Path=/ui/2/',
    );
  });
  it('moves Path=/ and Path=/x under the prefix', () => {
    expect(rewriter.setCookie('a=1; Path=/; Secure')).toBe('a=1; Secure; Path=/ui/2/');
    expect(rewriter.setCookie('a=1; path=/queries; HttpOnly')).toBe('a=1; HttpOnly; Path=/ui/2/queries');
  });
  it('treats a relative Path as absent and uses the last Path', () => {
    expect(rewriter.setCookie('a=1; Path=foo')).toBe('a=1; Path=/ui/2/');
    expect(rewriter.setCookie('a=1; Path=/x; Path=/y')).toBe('a=1; Path=/ui/2/y');
  });
  it('drops Domain and keeps the delete-cookie shape', () => {
    expect(rewriter.setCookie('impala.auth=; Domain=coord-b.example.com; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly')).toBe(
      'impala.auth=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Path=/ui/2/',
    );
  });
});

describe('UiRewriter.css', () => {
  it('prefixes root-absolute url() and keeps relative, data and external ones', () => {
    const css = `.a{background:url(/www/a.png)} .b{background:url( "/www/b.png" )} .c{background:url('../c.png')} .d{background:url(data:image/png;base64,AA)} .e{background:url(https://cdn.example.com/e.png)}`;
    expect(rewriter.css(css)).toBe(
      `.a{background:url(/ui/2/www/a.png)} .b{background:url( "/ui/2/www/b.png" )} .c{background:url('../c.png')} .d{background:url(data:image/png;base64,AA)} .e{background:url(https://cdn.example.com/e.png)}`,
    );
  });
});

describe('UiRewriter.html', () => {
  // Shaped like impalad's www/common-header.tmpl and queries.tmpl (research/impala-protocol.md §4).
  const page = `<!DOCTYPE html>
<html>
<head><title>Impala /queries</title>
<link href='/www/bootstrap/css/bootstrap.min.css' rel='stylesheet' media='screen'>
<script src='/www/jquery/jquery-3.5.1.min.js'></script>
<script>
  const root_link = document.getElementById('root-link');
  var src = '/not-an-attribute'; x.href = "/also-not";
  function make_url(path) { const s = root_link.href.split("?"); return s[0] + path; }
</script>
<style>body { background: url(/www/bg.png) } .x{background:url("https://cdn.example.com/a.png")}</style>
</head>
<body>
<!-- <a href="/commented-out"> -->
<a id='root-link' class="navbar-brand" href='/'>Impala</a>
<a href="/queries">/queries</a> <a href="/sessions" title='a > b'>/sessions</a>
<a HREF=/backends>/backends</a>
<img src="data:image/png;base64,AAA" style="background-image: url('/www/x.png')">
<form action="/cancel_query" method="post"><input type="hidden" name="csrf_token" value="/abc"></form>
<form action='set_glog_level'><button formaction="/log_level">go</button></form>
<a href="https://impala.apache.org/">docs</a> <a href="//cdn.example.com/x.js">cdn</a>
<a data-href="/x" href="#top">top</a>
<textarea><a href="/in-textarea"></textarea>
</body></html>`;
  const out = rewriter.html(page);

  it('rewrites root-absolute href, src, action, formaction and the root link', () => {
    expect(out).toContain(`<link href='/ui/2/www/bootstrap/css/bootstrap.min.css' rel='stylesheet' media='screen'>`);
    expect(out).toContain(`<script src='/ui/2/www/jquery/jquery-3.5.1.min.js'></script>`);
    expect(out).toContain(`<a id='root-link' class="navbar-brand" href='/ui/2/'>Impala</a>`);
    expect(out).toContain(`<a href="/ui/2/queries">/queries</a> <a href="/ui/2/sessions" title='a > b'>/sessions</a>`);
    expect(out).toContain('<a HREF=/ui/2/backends>/backends</a>');
    expect(out).toContain(`<form action="/ui/2/cancel_query" method="post"><input type="hidden" name="csrf_token" value="/abc">`);
    expect(out).toContain(`<button formaction="/ui/2/log_level">`);
  });

  it('rewrites url(/…) in style attributes and style elements', () => {
    expect(out).toContain(`style="background-image: url('/ui/2/www/x.png')"`);
    expect(out).toContain('body { background: url(/ui/2/www/bg.png) } .x{background:url("https://cdn.example.com/a.png")}');
  });

  it('leaves scripts, comments, raw text, other attributes, relative and external URLs alone', () => {
    expect(out).toContain(`var src = '/not-an-attribute'; x.href = "/also-not";`);
    expect(out).toContain('<!-- <a href="/commented-out"> -->');
    expect(out).toContain(`<form action='set_glog_level'>`);
    expect(out).toContain('<a href="https://impala.apache.org/">docs</a> <a href="//cdn.example.com/x.js">cdn</a>');
    expect(out).toContain('<a data-href="/x" href="#top">top</a>');
    expect(out).toContain('<textarea><a href="/in-textarea"></textarea>');
    expect(out).toContain('value="/abc"');
    expect(out).toContain('<title>Impala /queries</title>');
  });

  it('changes nothing else', () => {
    const undo = out.replaceAll('/ui/2/', '/');
    expect(undo).toBe(page);
  });

  it('handles attribute edge cases like a browser', () => {
    expect(rewriter.html(`<a\nhref\n=\n"/x"\n/>`)).toBe(`<a\nhref\n=\n"/ui/2/x"\n/>`);
    expect(rewriter.html(`<img/src="/x"><br/><a title="1 > 0" href=/y>`)).toBe(`<img/src="/ui/2/x"><br/><a title="1 > 0" href=/ui/2/y>`);
    expect(rewriter.html(`<a href>x</a><a href="">y</a><a =href="/z">`)).toBe(`<a href>x</a><a href="">y</a><a =href="/z">`);
    expect(rewriter.html(`</a href="/x"><SCRIPT>x = '<a href="/s">'</SCRIPT ><a href='/t'>`)).toBe(`</a href="/x"><SCRIPT>x = '<a href="/s">'</SCRIPT ><a href='/ui/2/t'>`);
    expect(rewriter.html(`<script>a</scripty><a href="/in-script"></script><a href="/out">`)).toBe(`<script>a</scripty><a href="/in-script"></script><a href="/ui/2/out">`);
    expect(rewriter.html(`<? pi ?><!DOCTYPE html><!----><a href="/x">`)).toBe(`<? pi ?><!DOCTYPE html><!----><a href="/ui/2/x">`);
    expect(rewriter.html(`1 < 2 <3 <a href="/x">`)).toBe(`1 < 2 <3 <a href="/ui/2/x">`);
  });

  it('is linear on hostile markup', () => {
    for (const unit of ['<a x="', '<a b c d ', '<!--', '<script>', '<a href=/', 'url(/', '</']) {
      const page = unit.repeat(Math.ceil((1024 * 1024) / unit.length));
      const started = performance.now();
      rewriter.html(page);
      rewriter.css(page);
      expect(performance.now() - started, unit).toBeLessThan(1000);
    }
  });

  it('returns the same string when there is nothing to rewrite', () => {
    const plain = '<p>hello <b>world</b></p>';
    expect(rewriter.html(plain)).toBe(plain);
  });

  it('stops at an unclosed quote (a browser reads the rest into it) and a script without an end tag', () => {
    expect(rewriter.html(`<a href='/a'><a href="/x>oops <a href='/y'>`)).toBe(`<a href='/ui/2/a'><a href="/x>oops <a href='/y'>`);
    expect(rewriter.html(`<a href="/a"><script>var s = '<a href="/b">'`)).toBe(`<a href="/ui/2/a"><script>var s = '<a href="/b">'`);
  });
});

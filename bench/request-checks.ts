// Micro benchmark (workload `checks`): ns per request of each pure step the hs2 handler
// (src/hs2/handler.ts) runs on every request before it dispatches, on the very request the load
// workloads send (a 300 B GetOperationStatus with impala.auth and our affinity cookie, the headers
// wrk sends). bench/run.ts puts the sum next to the whole request's CPU µs of the proxy in a-plain,
// so the report can say what share of a small RPC the checks are. For other message sizes and
// types of the Thrift walk see bench/thrift-walk.ts.
//
//   node bench/request-checks.ts [--rounds N] [--ms MS] [--json]
//
// A micro benchmark calls one function in a hot loop: caches and branch predictors are warm and
// the JIT has specialised on one input, so these are lower bounds of what each step costs amid
// a real request's other work.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { takeAffinityCookie } from '../src/affinity/cookie-header.ts';
import { TokenTable } from '../src/affinity/token.ts';
import { readRequestHead } from '../src/hs2/request-head.ts';
import { parseRequestTarget } from '../src/hs2/request-target.ts';
import { sniffRequest } from '../src/hs2/sniff.ts';
import { checkThriftCall } from '../src/hs2/thrift-check.ts';
import { upstreamHeaders } from '../src/hs2/upstream-headers.ts';
import { formatNs, median, nsPerCall } from './micro-timer.ts';
import { affinityCookieName, cookieSecret, proxyCookie } from './targets.ts';
import { operationStatusCall } from './thrift-messages.ts';

const { values: options } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, ms: { type: 'string', default: '200' }, json: { type: 'boolean', default: false } },
  strict: true,
});
const rounds = Number(options.rounds);
const roundMs = Number(options.ms);

const body = operationStatusCall(300, randomBytes(16));
// req.rawHeaders of wrk's request (bench/wrk/hs2-post.lua): Host first, the script's headers, Content-Length.
const rawHeaders = [
  'Host', '127.0.0.1:8080',
  'Content-Type', 'application/x-thrift',
  'User-Agent', 'Python/3.11 Thrift/0.16.0 impyla/0.21.0',
  'Cookie', proxyCookie,
  'X-Bench-Reply-Bytes', '512',
  'Content-Length', String(body.length),
];
const tokens = new TokenTable([cookieSecret], ['c1', 'c2']);
const head = readRequestHead(rawHeaders, false);
const cookie = takeAffinityCookie(head.cookie, affinityCookieName);
if (tokens.lookup(cookie.value ?? '')?.name !== 'c1') throw new Error('the benchmark cookie does not name c1');
if (checkThriftCall(body, true).kind !== 'ok' || sniffRequest(body, true)?.sessionKey === undefined) throw new Error('the benchmark body is not a well-formed session-bound call');
const headerSettings = { cookieName: affinityCookieName, xForwardedFor: 'overwrite' as const };
const headerFacts = { head, forwardCookie: cookie.forwardHeader, stripAuth: false, isBodyComplete: true, clientIp: '127.0.0.1', isTls: false };

let sink = 0;
const checks: readonly (readonly [name: string, what: string, run: () => void])[] = [
  ['request target', 'parseRequestTarget(req.url): origin-form, visible ASCII (src/hs2/request-target.ts)', () => void (sink += parseRequestTarget('/cliservice').kind.length)],
  ['sniff', 'sniffRequest: method name and session secret (src/hs2/sniff.ts)', () => void (sink += sniffRequest(body, true)?.method?.length ?? 0)],
  ['Thrift walk', 'checkThriftCall: the structural walk of the whole body (src/hs2/thrift-check.ts)', () => void (sink += checkThriftCall(body, true).kind.length)],
  ['request head', 'readRequestHead(req.rawHeaders): headers to forward, Cookie, X-Forwarded-For (src/hs2/request-head.ts)', () => void (sink += readRequestHead(rawHeaders, false).forward.length)],
  ['cookie read', 'takeAffinityCookie + TokenTable.lookup: our cookie out of Cookie, token to coordinator (src/affinity)', () => void (sink += tokens.lookup(takeAffinityCookie(head.cookie, affinityCookieName).value ?? '')?.name.length ?? 0)],
  ['upstream headers', 'upstreamHeaders: the header list undici sends (src/hs2/upstream-headers.ts)', () => void (sink += upstreamHeaders(headerFacts, headerSettings).length)],
];

interface CheckTiming {
  readonly name: string;
  readonly what: string;
  readonly ns: number;
  readonly minNs: number;
  readonly maxNs: number;
}

// Warm-up: every step, so all are optimised before the first round.
for (const [, , run] of checks) nsPerCall(run, undefined, 100);
const timings: CheckTiming[] = checks.map(([name, what, run]) => {
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) samples.push(nsPerCall(run, undefined, roundMs));
  return { name, what, ns: median(samples), minNs: Math.min(...samples), maxNs: Math.max(...samples) };
});
if (sink === 0) process.stderr.write('(sink)\n'); // keeps the calls observable

if (options.json) {
  process.stdout.write(`BENCH_JSON ${JSON.stringify({ node: process.version, bodyBytes: body.length, timings })}\n`);
} else {
  console.log(`node ${process.version}, ${rounds} rounds × ${roundMs} ms, median ns per request [min..max], ${body.length} B GetOperationStatus\n`);
  for (const t of timings) console.log(`${t.name.padEnd(18)} ${formatNs(t.ns).padStart(8)} [${formatNs(t.minNs)}..${formatNs(t.maxNs)}]  ${t.what}`);
  console.log(`${'sum'.padEnd(18)} ${formatNs(timings.reduce((sum, t) => sum + t.ns, 0)).padStart(8)}`);
}

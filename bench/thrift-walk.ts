// Micro benchmark: what the Thrift well-formedness walk (src/hs2/thrift-check.ts) adds per hs2
// request, next to the sniff the proxy already does (src/hs2/sniff.ts) and a full decode by the
// generated code (what the simulator does, for scale). Messages are real calls from the codec.
//
//   node bench/thrift-walk.ts [--rounds N] [--ms MS]      (Node 24: npx node bench/thrift-walk.ts)
//
// Each cell is the median over rounds of ns per message, each round timing as many calls as fit
// in --ms after a warm-up; min..max across rounds in brackets.
import { parseArgs } from 'node:util';
import { checkThriftCall } from '../src/hs2/thrift-check.ts';
import { sniffRequest } from '../src/hs2/sniff.ts';
import { decodeCall, encodeCall } from '../src/tools/thrift/hs2.ts';
import { formatNs as format, median, nsPerCall as timeOnce } from './micro-timer.ts';

const { values: options } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, ms: { type: 'string', default: '150' } },
  strict: true,
});
const rounds = Number(options.rounds);
const roundMs = Number(options.ms);

const sessionHandle = { sessionId: { guid: Buffer.alloc(16, 0x11), secret: Buffer.alloc(16, 0x22) } };
const operationHandle = { operationId: { guid: Buffer.alloc(16, 0x33), secret: Buffer.alloc(16, 0x22) }, operationType: 0, hasResultSet: true };
const statement = (bytes: number): string => `select * from t where s = '${'x'.repeat(bytes - 30)}'`;

// impala-shell's OpenSession carries its `set` options and the client's identity; Hue sends more.
const configuration = Object.fromEntries(
  ['impala.doas.user', 'MEM_LIMIT', 'QUERY_TIMEOUT_S', 'idle_session_timeout', 'REQUEST_POOL', 'EXPLAIN_LEVEL', 'client_identifier', 'SYNC_DDL'].map((key, i) => [key, `value-${i}-${'v'.repeat(8)}`]),
);

const messages: [name: string, body: Buffer][] = [
  ['OpenSession (8 config entries)', encodeCall('OpenSession', { client_protocol: 5, username: 'alice', password: 'secret', configuration })],
  ['ExecuteStatement 1 KiB', encodeCall('ExecuteStatement', { sessionHandle, statement: statement(1024), confOverlay: { QUERY_TIMEOUT_S: '600' }, runAsync: true })],
  ['ExecuteStatement 100 KiB', encodeCall('ExecuteStatement', { sessionHandle, statement: statement(100 * 1024), runAsync: true })],
  ['FetchResults', encodeCall('FetchResults', { operationHandle, orientation: 0, maxRows: 10240 })],
  ['GetOperationStatus', encodeCall('GetOperationStatus', { operationHandle })],
];

let sink = 0;
const candidates: [name: string, run: (body: Buffer) => void][] = [
  ['checkThriftCall', (body) => void (sink += checkThriftCall(body, true).kind.length)],
  ['sniffRequest', (body) => void (sink += sniffRequest(body, true)?.method?.length ?? 0)],
  ['decodeCall (generated)', (body) => void (sink += decodeCall(body).seqid + 1)],
  // For scale: one pass that reads every byte (the walk skips string contents; this cannot).
  ['sum of every byte', (body) => void (sink += sumBytes(body))],
];

function sumBytes(body: Buffer): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum += body[i]!;
  return sum;
}

// Warm-up: every function on every message, so all are optimised before the first round.
for (const [, run] of candidates) for (const [, body] of messages) timeOnce(run, body, 100);

const rows: string[][] = [];
for (const [name, body] of messages) {
  const cells = [name, `${body.length} B`];
  for (const [, run] of candidates) {
    const samples: number[] = [];
    for (let round = 0; round < rounds; round++) samples.push(timeOnce(run, body, roundMs));
    cells.push(`${format(median(samples))} [${format(Math.min(...samples))}..${format(Math.max(...samples))}]`);
  }
  rows.push(cells);
}

const header = ['message', 'size', ...candidates.map(([name]) => name)];
const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
console.log(`node ${process.version}, ${rounds} rounds × ${roundMs} ms, median ns per message [min..max]\n`);
console.log(line(header));
console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
for (const row of rows) console.log(line(row));
if (sink === 0) console.log('(sink)'); // keeps the calls observable

// Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof …`): the functions with the most
// self time, and self time per source (our src/ or dist/, each dependency, Node internals, GC, idle).
//
//   node bench/profile-top.ts bench/out/CPU.….cpuprofile [TOP]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const [file, topArgument = '30'] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: profile-top.ts FILE.cpuprofile [TOP]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

function source(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return dependency[1]!;
  const ours = /\/(src|dist|bench)\/(.*)$/.exec(url);
  return ours ? `${ours[1]}/${ours[2]}` : url;
}

const byFunction = new Map<string, number>();
const bySource = new Map<string, number>();
let totalUs = 0;
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const where = source(url, functionName);
  const key = `${functionName || '(anonymous)'}  ${where}${url === '' ? '' : `:${lineNumber + 1}`}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  const group = where.startsWith('src/') || where.startsWith('dist/') ? 'impala-ha-proxy (src/, dist/)' : where;
  bySource.set(group, (bySource.get(group) ?? 0) + us);
  totalUs += us;
}

const busyUs = totalUs - (bySource.get('(idle)') ?? 0);
const table = (entries: Map<string, number>, top: number) =>
  [...entries]
    .filter(([key]) => !key.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, us]) => `${((us / busyUs) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`)
    .join('\n');

process.stdout.write(`${(totalUs / 1e6).toFixed(1)} s sampled, ${(busyUs / 1e6).toFixed(1)} s busy (percentages are of busy time; idle is left out)\n\n`);
process.stdout.write(`Self time by source:\n${table(bySource, 15)}\n\nSelf time by function:\n${table(byFunction, Number(topArgument))}\n`);

// Resident memory before the first client: what Node itself takes, then what each runtime
// dependency and the proxy's own modules add, imported one after another into one process with the
// flags of the installed bin, and collected in between. Median of several fresh processes.
//
//   npm run build && node bench/startup-rss.ts [RUNS]
//
// The proxy's modules come from dist/ (what is installed), so build first.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const steps = ['undici/lib/dispatcher/pool.js', 'undici/lib/dispatcher/client.js', 'undici/lib/api/api-request.js', 'pino', 'zod', 'prom-client', 'http-proxy-3', 'yaml', 'cookie', 'thrift', '../dist/main.js'];

// The measuring process runs plain JavaScript (-e), not this file: stripping TypeScript loads a
// compiler of its own (about 20 MiB) that the installed proxy never has.
const child = `
  const rss = () => (gc(), process.memoryUsage().rss / 2 ** 20);
  const figures = [rss()];
  for (const step of ${JSON.stringify(steps.map((step) => (step.startsWith('.') ? new URL(step, import.meta.url).href : step)))}) {
    await import(step);
    figures.push(rss());
  }
  process.stdout.write(JSON.stringify(figures));
`;

if (!existsSync(fileURLToPath(new URL('../dist/main.js', import.meta.url)))) {
  console.error('startup-rss: dist/main.js is missing; run `npm run build` first');
  process.exit(2);
}
const runs = Number(process.argv[2] ?? 5);
const root = fileURLToPath(new URL('..', import.meta.url));
const samples = Array.from({ length: runs }, () => JSON.parse(execFileSync(process.execPath, ['--max-semi-space-size=8', '--expose-gc', '--input-type=module', '-e', child], { cwd: root, encoding: 'utf8' })) as number[]);
const median = (values: number[]): number => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)]!;
const totals = samples[0]!.map((_, index) => median(samples.map((sample) => sample[index]!)));
const rows = ['node itself', ...steps.map((step) => (step.startsWith('.') ? "the proxy's own modules" : step))];
console.log('| step | RSS after it, MiB | added, MiB |\n|---|--:|--:|');
rows.forEach((row, index) => console.log(`| ${row} | ${totals[index]!.toFixed(1)} | ${index === 0 ? '—' : (totals[index]! - totals[index - 1]!).toFixed(1)} |`));
console.log(`\nmedian of ${runs} processes, Node ${process.version}, --max-semi-space-size=8`);

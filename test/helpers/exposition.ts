// The Prometheus text exposition (format 0.0.4) of /metrics, parsed line by line for the tests
// that check its numbers.
import { expect } from 'vitest';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Prometheus text format 0.0.4: every non-comment line is `name{labels} value`. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) {
      if (line.startsWith('#')) expect(line).toMatch(/^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/);
      continue;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    const labelText = match[2] ?? '';
    const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/g;
    let consumed = 0;
    for (const label of labelText.matchAll(labelPattern)) {
      labels[label[1]!] = label[2]!;
      consumed += label[0].length;
    }
    if (consumed !== labelText.length) throw new Error(`bad labels: ${line}`);
    // Prometheus parses values with Go's strconv.ParseFloat: NaN in any case, ±Inf.
    const text = match[3]!;
    const value = /^nan$/i.test(text) ? NaN : text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text);
    if (Number.isNaN(value) && !/^nan$/i.test(text)) throw new Error(`bad value: ${line}`);
    samples.push({ name: match[1]!, labels, value });
  }
  return samples;
}

/** The sum of `name`'s samples whose labels include `labels`. */
export function pick(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** Each metric family's type, from the `# TYPE name type` lines. */
export function familyTypes(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(match[1]!, match[2]!);
  return types;
}

/** Whether a sample only ever grows: a counter's, or a histogram's bucket, sum or count. */
export function isMonotonicSample(sample: Sample, types: ReadonlyMap<string, string>): boolean {
  if (types.get(sample.name) === 'counter') return true;
  const family = /^(.*)_(bucket|sum|count)$/.exec(sample.name)?.[1];
  return family !== undefined && types.get(family) === 'histogram';
}

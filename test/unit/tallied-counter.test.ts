import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { TalliedCounter } from '../../src/metrics/tallied-counter.ts';

describe('TalliedCounter', () => {
  it('reports each tally as its series when the registry is read, and only series that counted', async () => {
    const registry = new Registry();
    const counter = new TalliedCounter({ name: 't_requests_total', help: 'h', labelNames: ['coordinator', 'method'], registers: [registry] });
    const a = counter.series({ coordinator: 'c1', method: 'OpenSession' });
    const b = counter.series({ coordinator: 'c2', method: 'OpenSession' });
    counter.series({ coordinator: 'c3', method: 'OpenSession' });
    a.value += 2;
    b.value += 5;
    const first = await registry.getSingleMetricAsString('t_requests_total');
    expect(first).toContain('t_requests_total{coordinator="c1",method="OpenSession"} 2');
    expect(first).toContain('t_requests_total{coordinator="c2",method="OpenSession"} 5');
    expect(first).not.toContain('c3');
    a.value += 1;
    // A second read reports the totals again, not the totals added twice.
    const second = await registry.getMetricsAsJSON();
    const values = second.find((m) => m.name === 't_requests_total')!.values.map((v) => [v.labels.coordinator, v.value]);
    expect(values).toEqual([['c1', 3], ['c2', 5]]);
  });

  it('counts bytes as well as requests (any increment)', async () => {
    const registry = new Registry();
    const counter = new TalliedCounter({ name: 't_bytes_total', help: 'h', labelNames: ['coordinator'], registers: [registry] });
    const tally = counter.series({ coordinator: 'c1' });
    tally.value += 300;
    tally.value += 512;
    expect(await registry.getSingleMetricAsString('t_bytes_total')).toContain('t_bytes_total{coordinator="c1"} 812');
  });
});

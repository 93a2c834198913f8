// POST /admin/reload on a proxy started with a config source (StartOptions.loadConfig): the reply
// carries the reload summary, or 409 with the problems when the source does not load or apply, and
// the metrics count both (the "config reload failures" alert reads config_reloads_total).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from '../../src/config/load.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { startProxy, type ProxyInstance } from '../../src/main.ts';
import { startCluster, type SimulatedCluster } from '../../src/tools/simulator/index.ts';
import { LogSink } from '../helpers/log-sink.ts';
import { coordinatorTls, harnessConfig } from '../helpers/proxy-harness.ts';

describe('POST /admin/reload', () => {
  let cluster: SimulatedCluster;
  let proxy: ProxyInstance;
  const log = new LogSink();
  /** What the next reload reads: a config, or a function that throws like a bad file. */
  let source: () => ConfigInput;

  beforeAll(async () => {
    cluster = await startCluster({ count: 2, tls: coordinatorTls });
    const first = harnessConfig(cluster, { admin: { host: '127.0.0.1', port: 0 } });
    source = () => first;
    proxy = await startProxy(validateConfig(first), log.logger, { loadConfig: () => validateConfig(source(), 'proxy.yaml') });
  });
  afterAll(async () => {
    await proxy?.close();
    await cluster?.close();
  });

  const reload = async () => {
    const response = await fetch(`${proxy.adminUrl()}/admin/reload`, { method: 'POST' });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const reloadsCounted = async (result: string) => {
    const text = await (await fetch(`${proxy.adminUrl()}/metrics`)).text();
    return Number(new RegExp(`^impala_ha_proxy_config_reloads_total\\{result="${result}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  };

  it('applies the re-read config and answers with the summary', async () => {
    const base = harnessConfig(cluster, { admin: { host: '127.0.0.1', port: 0 } });
    source = () => ({ ...base, coordinators: [base.coordinators![0]!] });
    expect(await reload()).toEqual({ status: 200, body: { generation: 2, added: [], removed: [cluster.coordinators[1]!.name], changed: [] } });
    expect(proxy.coordinators.all).toHaveLength(1);
    expect(log.find((l) => l.event === 'admin' && l.action === 'reload')).toMatchObject({ who: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(await reloadsCounted('ok')).toBe(1);
  });

  it('answers 409 with the problems when the config does not load, and counts the rejection', async () => {
    source = () => {
      throw new ConfigError('proxy.yaml', ['coordinators[0].hs2Port: Too big: expected number to be <=65535']);
    };
    const { status, body } = await reload();
    expect(status).toBe(409);
    expect(body).toEqual({ error: 'reload-rejected', message: expect.stringContaining('invalid configuration (proxy.yaml)'), problems: ['coordinators[0].hs2Port: Too big: expected number to be <=65535'] });
    expect(log.lines.filter((l) => l.event === 'reload-rejected')).toHaveLength(1);
    expect(await reloadsCounted('rejected')).toBe(1);
    expect(proxy.status().generation).toBe(2);
  });

  it('answers 409 when a valid config cannot be applied (an unreadable certificate)', async () => {
    const base = harnessConfig(cluster, { admin: { host: '127.0.0.1', port: 0 } });
    source = () => ({ ...base, tls: { certFile: '/nonexistent/proxy.pem', keyFile: base.tls!.keyFile } });
    const { status, body } = await reload();
    expect(status).toBe(409);
    expect(body.message).toMatch(/nonexistent/);
    expect(body).not.toHaveProperty('problems');
    expect(await reloadsCounted('rejected')).toBe(2);
    expect(proxy.status().generation).toBe(2);
  });
});

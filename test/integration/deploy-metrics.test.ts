// deploy/ stays true to the proxy: every metric the Grafana dashboard and the Prometheus rules use
// exists in the /metrics exposition of a running proxy, the rules pass `promtool check rules` and
// their unit tests (`promtool test rules`), and the dashboard's queries parse as PromQL (promtool
// checks them as recording rules). promtool comes from Debian's prometheus package (.ci/run).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';

const deploy = fileURLToPath(new URL('../../deploy/', import.meta.url));
const rulesPath = join(deploy, 'prometheus/impala-ha-proxy.rules.yaml');
const rulesTestPath = join(deploy, 'prometheus/impala-ha-proxy.rules.test.yaml');
const dashboardPath = join(deploy, 'grafana/impala-ha-proxy.json');

/** Series Prometheus makes itself for every scrape, not found in any exposition. */
const scrapeSeries = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);

const promqlKeywords = new Set(['and', 'or', 'unless', 'bool', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'atan2', 'inf', 'nan']);

/** Grafana's interval variables, which are not PromQL, as a plain duration. */
function withoutGrafanaVariables(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m');
}

/**
 * Metric names in a PromQL expression: identifiers that are not functions or aggregations (followed
 * by "("), keywords, label names (in `{…}` matchers and by/on/… lists), durations or strings.
 */
export function metricNames(expr: string): Set<string> {
  const stripped = withoutGrafanaVariables(expr)
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.:])([A-Za-z_:][\w:]*)/g)) {
    const name = match[1]!;
    const rest = stripped.slice(match.index + name.length);
    if (promqlKeywords.has(name.toLowerCase()) || /^\s*\(/.test(rest)) continue;
    names.add(name);
  }
  return names;
}

interface RuleFile {
  groups: { rules: { record?: string; alert?: string; expr: string }[] }[];
}

function ruleExpressions(): { expressions: string[]; recorded: Set<string> } {
  const rules = (parse(readFileSync(rulesPath, 'utf8')) as RuleFile).groups.flatMap((group) => group.rules);
  return { expressions: rules.map((rule) => rule.expr), recorded: new Set(rules.flatMap((rule) => (rule.record === undefined ? [] : [rule.record]))) };
}

/** Every `expr` in the dashboard (panels, annotations), and the metrics of its label_values() variables. */
function dashboardQueries(): { expressions: string[]; variableMetrics: string[] } {
  const expressions: string[] = [];
  const variableMetrics: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'expr' && typeof value === 'string') expressions.push(value);
      else if ((key === 'query' || key === 'definition') && typeof value === 'string' && value.startsWith('label_values(')) {
        variableMetrics.push(/^label_values\(\s*([A-Za-z_:][\w:]*)/.exec(value)![1]!);
      } else walk(value);
    }
  };
  walk(JSON.parse(readFileSync(dashboardPath, 'utf8')));
  return { expressions, variableMetrics };
}

function promtool(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile('promtool', args, { timeout: 60_000 }, (error, stdout, stderr) => {
      if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
        reject(new Error('promtool is missing: install Debian\'s prometheus package (apt-get install -y prometheus; .ci/run does)'));
        return;
      }
      resolve({ code: error === null ? 0 : Number(error.code), output: `${stdout}${stderr}` });
    });
  });
}

describe('metricNames', () => {
  it('finds the metrics, not the functions, labels, keywords or durations', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (coordinator, le) (rate(a_bucket{instance=~"$instance", x="b{c}"}[$__rate_interval])))')).toEqual(new Set(['a_bucket']));
    expect(metricNames('a == 0 unless on (job, coordinator) b{state="disabled"} == 1')).toEqual(new Set(['a', 'b']));
    expect(metricNames('sum(rate(c_total[5m])) / (sum(rate(d_total[5m])) or vector(0)) > 0.2 and e:rate5m offset 1h > 3 * f')).toEqual(new Set(['c_total', 'd_total', 'e:rate5m', 'f']));
    expect(metricNames('g + ignoring(state) 2 * h{state="x"} + count(i) without (le)')).toEqual(new Set(['g', 'h', 'i']));
  });
});

describe('deploy/: dashboards and alerts', () => {
  let harness: Harness;
  /** Metric family name → type, from the running proxy's # TYPE lines. */
  const families = new Map<string, string>();

  beforeAll(async () => {
    harness = await startHarness({ coordinators: 2, config: { admin: { host: '127.0.0.1', port: 0 } } });
    const text = await (await fetch(`${harness.proxy.adminUrl()}/metrics`)).text();
    for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(match[1]!, match[2]!);
  });
  afterAll(async () => {
    await harness?.close();
  });

  /** A sample name's family: histogram and summary samples carry _bucket/_sum/_count suffixes. */
  const isExposed = (name: string) => {
    if (families.has(name)) return true;
    const family = /^(.*)_(bucket|sum|count)$/.exec(name)?.[1];
    return family !== undefined && ['histogram', 'summary'].includes(families.get(family) ?? '');
  };

  it('uses only metrics the proxy exposes', () => {
    const { expressions: ruleExprs, recorded } = ruleExpressions();
    const { expressions: dashboardExprs, variableMetrics } = dashboardQueries();
    expect(ruleExprs.length).toBeGreaterThan(5);
    expect(dashboardExprs.length).toBeGreaterThan(20);
    const used = new Set([...variableMetrics, ...[...ruleExprs, ...dashboardExprs].flatMap((expr) => [...metricNames(expr)])]);
    const unknown = [...used].filter((name) => !recorded.has(name) && !scrapeSeries.has(name) && !isExposed(name));
    expect(unknown).toEqual([]);
    // The check has teeth: a misspelt metric is not mistaken for an exposed one.
    expect(isExposed('impala_ha_proxy_request_duration_seconds_bucket')).toBe(true);
    expect(isExposed('impala_ha_proxy_requests_total_bucket')).toBe(false);
    expect(isExposed('impala_ha_proxy_coordinators_up')).toBe(false);
    // Everything the issue asks the dashboard for is on it.
    for (const metric of ['coordinator_up', 'coordinator_operator_state', 'coordinator_sessions', 'requests_total', 'request_duration_seconds_bucket', 'repins_total', 'replays_total', 'unavailable_responses_total', 'tls_errors_total', 'config_reloads_total']) {
      expect(dashboardExprs.some((expr) => metricNames(expr).has(`impala_ha_proxy_${metric}`)), metric).toBe(true);
    }
  });

  it('the rules pass promtool check rules and their unit tests', async () => {
    const check = await promtool(['check', 'rules', rulesPath]);
    expect(check.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(check.code).toBe(0);
    const unit = await promtool(['test', 'rules', rulesTestPath]);
    expect(unit.output).toContain('SUCCESS');
    expect(unit.code).toBe(0);
  });

  it('the dashboard queries are valid PromQL (checked by promtool as recording rules)', async () => {
    const { expressions } = dashboardQueries();
    const dir = mkdtempSync(join(tmpdir(), 'ihp-dashboard-'));
    const path = join(dir, 'dashboard-queries.yaml');
    const rules = expressions.map((expr, i) => ({ record: `dashboard:query_${i}`, expr: withoutGrafanaVariables(expr).replace(/\$\{?\w+\}?/g, 'x') }));
    writeFileSync(path, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }));
    const check = await promtool(['check', 'rules', path]);
    expect(check.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(check.code).toBe(0);
  });
});

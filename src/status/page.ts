// The /status page an operator keeps open: one row per coordinator, refreshed every few seconds,
// and each coordinator's request rate and p99 over the last ten minutes as small charts.
// Plain HTML with inline CSS and SVG and no script or external asset, so it works through any tunnel.
import { latencyChart, renderChart, requestRateChart } from './chart.ts';
import { escapeHtml } from '../http/escape-html.ts';
import type { CoordinatorStatus, StatusSnapshot } from './snapshot.ts';

const refreshSec = 5;

const css = `
:root { color-scheme: light dark; --fg: #1d2430; --muted: #667085; --line: #e4e7ec; --bg: #fff; --head: #f7f8fa;
  --up: #067647; --up-bg: #dcfae6; --down: #b42318; --down-bg: #fee4e2; --warn: #b54708; --warn-bg: #fef0c7; --off: #475467; --off-bg: #eaecf0;
  --line-rate: #1570ef; --area-rate: #d1e9ff; --line-p99: #7a5af8; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ef; --muted: #98a2b3; --line: #2f3542; --bg: #14171c; --head: #1b1f26;
  --up: #75e0a7; --up-bg: #053321; --down: #fda29b; --down-bg: #55160c; --warn: #fec84b; --warn-bg: #4e1d09; --off: #d0d5dd; --off-bg: #344054;
  --line-rate: #53b1fd; --area-rate: #102a56; --line-p99: #9b8afb; } }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 8px 24px; margin-bottom: 20px; }
h1 { font-size: 20px; margin: 0; font-weight: 600; }
.meta { color: var(--muted); font-size: 13px; }
.ready { font-weight: 600; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 9px 12px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: var(--head); font-size: 12px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
td.num, th.num { text-align: right; white-space: nowrap; }
th, .name, time { white-space: nowrap; }
.name { font-weight: 600; }
.sub { display: block; color: var(--muted); font-size: 12px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; margin-right: 4px; }
.up { color: var(--up); background: var(--up-bg); } .down { color: var(--down); background: var(--down-bg); }
.draining, .quiescing { color: var(--warn); background: var(--warn-bg); } .disabled, .enabled { color: var(--off); background: var(--off-bg); }
.check { max-width: 340px; overflow-wrap: anywhere; }
a { color: inherit; }
footer { margin-top: 16px; color: var(--muted); font-size: 12px; }
h2 { font-size: 15px; font-weight: 600; margin: 28px 0 12px; }
h2 .meta { font-weight: 400; margin-left: 8px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 16px; }
.card { margin: 0; padding: 12px 14px; border: 1px solid var(--line); border-radius: 8px; }
.card figcaption { display: flex; gap: 8px; align-items: baseline; margin-bottom: 6px; }
.chart-label { display: flex; justify-content: space-between; color: var(--muted); font-size: 12px; margin-top: 6px; }
.chart { display: block; overflow: visible; }
.chart line, .chart .line, .chart .dot { vector-effect: non-scaling-stroke; }
.chart .dot { fill: none; stroke-width: 3.5; stroke-linecap: round; }
.chart .grid { stroke: var(--line); stroke-dasharray: 3 3; } .chart .axis { stroke: var(--line); }
.chart .line { fill: none; stroke-width: 1.5; stroke-linejoin: round; stroke-linecap: round; }
.chart[data-chart="p99Ms"] .line { stroke-width: 2; }
.chart[data-chart="requestsPerSec"] :is(.line, .dot) { stroke: var(--line-rate); } .chart .area { fill: var(--area-rate); opacity: .7; }
.chart[data-chart="p99Ms"] :is(.line, .dot) { stroke: var(--line-p99); }
.chart .error { fill: var(--down); } .chart .tip { fill: transparent; } .chart .tip:hover { fill: var(--line); opacity: .5; }
.axis-time { display: flex; justify-content: space-between; color: var(--muted); font-size: 11px; }
`;

export function renderStatusPage(snapshot: StatusSnapshot): string {
  const available = snapshot.coordinators.filter((c) => c.isAvailable).length;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="${refreshSec}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>impala-ha-proxy — ${available}/${snapshot.coordinators.length} available</title>
<style>${css}</style>
</head>
<body>
<header>
  <h1>impala-ha-proxy</h1>
  <span class="ready badge ${snapshot.isReady ? 'up' : 'down'}" data-field="ready">${snapshot.isReady ? 'ready' : 'not ready'}</span>
  <span class="meta">${available} of ${snapshot.coordinators.length} coordinators available</span>
  <span class="meta">version ${escapeHtml(snapshot.version)} · started <time datetime="${snapshot.startedAt}">${shortTime(snapshot.startedAt)}</time>${
    snapshot.reloadedAt === null ? '' : ` · config generation ${snapshot.generation}, reloaded <time datetime="${snapshot.reloadedAt}">${shortTime(snapshot.reloadedAt)}</time>`
  }</span>
</header>
<table>
<thead><tr>
  <th class="num">#</th><th>Coordinator</th><th>State</th><th>Since</th>
  <th class="num">Sessions</th><th class="num">In flight</th><th class="num">Req/s</th><th class="num">Errors</th><th class="num">p99</th>
  <th>Last health check</th><th>Web UI</th>
</tr></thead>
<tbody>
${snapshot.coordinators.map(renderRow).join('\n')}
</tbody>
</table>
${renderTcpListeners(snapshot)}
${renderWorkers(snapshot)}
<h2>Last ${historyMinutes(snapshot)} minutes<span class="meta">${snapshot.coordinators[0]?.history.bucketSec ?? 10} s buckets; red marks: buckets with errors; hover for numbers</span></h2>
<div class="charts">
${snapshot.coordinators.map(renderCharts).join('\n')}
</div>
<footer>Req/s, errors and p99 in the table cover the last ${snapshot.windowSec} s. Refreshes every ${refreshSec} s ·
generated <time datetime="${snapshot.generatedAt}">${shortTime(snapshot.generatedAt)}</time> ·
<a href="?format=json">JSON</a> · <a href="/metrics">metrics</a></footer>
</body>
</html>
`;
}

function renderRow(c: CoordinatorStatus): string {
  const check = c.lastCheck;
  return `<tr data-coordinator="${escapeHtml(c.name)}">
  <td class="num" data-field="index">${c.index}</td>
  <td><span class="name" data-field="name">${escapeHtml(c.name)}</span><span class="sub">${escapeHtml(c.address)}</span></td>
  <td><span class="badge ${c.health}" data-field="health">${c.health}</span><span class="badge ${c.operatorState}" data-field="operatorState">${c.operatorState}</span>${
    c.isQuiescing ? '<span class="badge quiescing">quiescing</span>' : ''
  }<span class="sub" title="${escapeHtml(c.reason)}">${escapeHtml(truncate(c.reason, 60))}</span></td>
  <td><time datetime="${c.since}" data-field="since">${shortTime(c.since)}</time></td>
  <td class="num" data-field="sessions">${c.sessions}</td>
  <td class="num" data-field="inFlight">${c.inFlight}</td>
  <td class="num" data-field="requestsPerSec">${c.requestsPerSec.toFixed(2)}</td>
  <td class="num" data-field="errors">${c.errors}</td>
  <td class="num" data-field="p99Ms">${c.p99Ms === null ? '–' : `${c.p99Ms.toFixed(1)} ms`}</td>
  <td class="check" data-field="lastCheck">${
    check === null ? '<span class="sub">not yet</span>' : `<span class="badge ${check.isUp ? 'up' : 'down'}">${check.isUp ? 'ok' : 'failed'}</span>${escapeHtml(check.detail)}<span class="sub">${shortTime(check.at)}, ${check.durationMs} ms</span>`
  }</td>
  <td><a href="${c.ui}" data-field="ui">${c.ui}</a></td>
</tr>`;
}

function renderCharts(c: CoordinatorStatus): string {
  return `<figure class="card" data-coordinator="${escapeHtml(c.name)}">
<figcaption><span class="name">${c.index} · ${escapeHtml(c.name)}</span><span class="badge ${c.health}">${c.health}</span><span class="badge ${c.operatorState}">${c.operatorState}</span></figcaption>
${renderChart(c.history, requestRateChart, c.name)}
${renderChart(c.history, latencyChart, c.name)}
<div class="axis-time"><span>−${historyMinutes({ coordinators: [c] })} min</span><span>now</span></div>
</figure>`;
}

function historyMinutes(snapshot: { readonly coordinators: readonly CoordinatorStatus[] }): number {
  const history = snapshot.coordinators[0]?.history;
  return history === undefined ? 10 : Math.round((history.requestsPerSec.length * history.bucketSec) / 60);
}

/** "2026-05-01T12:34:56.789Z" → "12:34:56 UTC" (the full time is in the datetime attribute). */
function shortTime(iso: string): string {
  return `${iso.slice(11, 19)} UTC`;
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

/** TCP listeners (binary HS2, Beeswax): one row each, open connections per coordinator. */
function renderTcpListeners(snapshot: StatusSnapshot): string {
  if (snapshot.tcpListeners.length === 0) return '';
  const names = snapshot.coordinators.map((c) => c.name);
  const rows = snapshot.tcpListeners.map(
    (listener) =>
      `<tr data-listener="${escapeHtml(listener.name)}"><td>${escapeHtml(listener.name)}</td><td>${escapeHtml(listener.address)}</td><td>${escapeHtml(listener.coordinatorPort)}</td><td>${escapeHtml(listener.tls)}</td><td>${escapeHtml(listener.policy)}</td><td class="num" data-field="open">${listener.open}</td>${names
        .map((name) => `<td class="num" data-coordinator="${escapeHtml(name)}">${listener.byCoordinator[name] ?? 0}</td>`)
        .join('')}</tr>`,
  );
  return `<h2>TCP listeners<span class="meta">open connections</span></h2>
<table>
<thead><tr><th>Listener</th><th>Address</th><th>To</th><th>TLS</th><th>Policy</th><th class="num">Open</th>${names.map((name) => `<th class="num">${escapeHtml(name)}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

/** server.workers > 1: one row per worker process (absent with one process). */
function renderWorkers(snapshot: StatusSnapshot): string {
  if (snapshot.workers === undefined) return '';
  const figure = (value: number | null, digits = 0) => (value === null ? '–' : value.toFixed(digits));
  const rows = snapshot.workers.map(
    (worker) =>
      `<tr data-worker="${worker.id}"><td class="num">${worker.id}</td><td class="num">${worker.pid}</td><td>${
        worker.state !== 'serving' ? `<span class="badge draining">${worker.state}</span>` : worker.isAnswering ? '<span class="badge up">serving</span>' : '<span class="badge down">no answer</span>'
      }</td><td><time datetime="${worker.startedAt}">${shortTime(worker.startedAt)}</time></td><td class="num">${figure(worker.generation)}</td><td class="num" data-field="requestsPerSec">${figure(worker.requestsPerSec, 2)}</td><td class="num" data-field="inFlight">${figure(worker.inFlight)}</td><td class="num">${figure(worker.clientConnections)}</td><td class="num">${figure(worker.learnedSessions)}</td></tr>`,
  );
  return `<h2>Workers<span class="meta">processes sharing the client listeners; the table above adds them up</span></h2>
<table>
<thead><tr><th class="num">Worker</th><th class="num">pid</th><th>State</th><th>Started</th><th class="num">Generation</th><th class="num">Req/s</th><th class="num">In flight</th><th class="num">Connections</th><th class="num">Learned sessions</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

// The proxy's own /ui pages: the coordinator index and the "no such coordinator" page. Small,
// static markup with no script, served with a CSP that allows nothing but inline style.
import type { Coordinator } from '../upstream/coordinator.ts';
import { escapeHtml } from '../http/escape-html.ts';

export const pageHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

const style = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}th,td{padding:.35em .9em;border-bottom:1px solid #ddd;text-align:left}
.up{color:#176f2c}.down{color:#b3261e}.draining{color:#8a5a00}.disabled{color:#777}`;

function layout(title: string, body: string): string {
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${style}</style></head>\n<body>${body}</body></html>\n`;
}

function coordinatorTable(coordinators: readonly Coordinator[], now: number): string {
  const rows = coordinators.map((c) => {
    const since = Math.max(0, Math.round((now - c.healthSince) / 1000));
    const name = escapeHtml(c.name);
    return `<tr><td>${c.index}</td><td><a href="/ui/${c.index}/">${name}</a></td>` +
      `<td class="${c.health}">${c.health} <small>(${since} s)</small></td>` +
      `<td class="${c.operatorState}">${c.operatorState}</td>` +
      `<td><a href="/ui/${c.index}/queries">queries</a> · <a href="/ui/${c.index}/sessions">sessions</a> · <a href="/ui/${c.index}/backends">backends</a></td></tr>`;
  });
  return `<table id="coordinators"><thead><tr><th>#</th><th>Coordinator</th><th>Health</th><th>State</th><th>Pages</th></tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

export function indexPage(coordinators: readonly Coordinator[], now = Date.now()): string {
  return layout('Impala coordinators', `<h1>Impala coordinators</h1>\n<p>Each coordinator's web UI is under <code>/ui/&lt;n&gt;/</code> (or <code>/ui/&lt;name&gt;/</code>).</p>\n${coordinatorTable(coordinators, now)}`);
}

export function notFoundPage(key: string, coordinators: readonly Coordinator[], now = Date.now()): string {
  return layout('No such coordinator', `<h1>No coordinator “${escapeHtml(key)}”</h1>\n<p>Valid coordinators:</p>\n${coordinatorTable(coordinators, now)}`);
}

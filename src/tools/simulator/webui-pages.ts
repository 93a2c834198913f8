// HTML of the simulated web UI, shaped like Impala's www/*.tmpl without X-Forwarded-Context:
// every link is root-absolute, `#root-link` points at `/`, and scripts build URLs with
// make_url() from common-header.tmpl, which yields `//queries?json` (research §4).
import { formatImpalaId } from '../thrift/hs2.ts';
import type { QueryInfo, SessionInfo } from './hs2-service.ts';

export interface PageContext {
  name: string;
  version: string;
  title: string;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// Copied in spirit from www/common-header.tmpl: the root link's href (plus its query string, which
// Knox uses) is the base of every URL built in JavaScript.
const MAKE_URL = `
function make_url(path) {
  const root_link = document.getElementById('root-link');
  const s = root_link.href.split("?");
  let url = s[0] + path;
  if (s.length > 1) {
    url += (path.includes("?") ? "&" : "?") + s[1];
  }
  return url;
}`;

function header(page: PageContext): string {
  return `<!DOCTYPE html>
<html>
<head>
<title>${escapeHtml(page.title)} - ${escapeHtml(page.name)}</title>
<link href='/www/style.css' rel='stylesheet' media='screen'>
<script src='/www/common.js'></script>
<script>${MAKE_URL}
</script>
</head>
<body>
<nav class='navbar'>
  <a id='root-link' class='brand' href='/'>impalad (${escapeHtml(page.name)})</a>
  <ul class='nav'>
    <li><a href='/'>/</a></li>
    <li><a href='/backends'>/backends</a></li>
    <li><a href='/queries'>/queries</a></li>
    <li><a href='/sessions'>/sessions</a></li>
  </ul>
</nav>
<div class='container'>
`;
}

const FOOTER = `</div>
</body>
</html>
`;

export function rootPage(page: PageContext, details: { startedAt: number; sessionCount: number; queryCount: number }): string {
  return `${header(page)}<h2>Version</h2>
<pre id='version'>impalad version ${escapeHtml(page.version)} (simulated coordinator ${escapeHtml(page.name)})</pre>
<p>Process start time: <span id='start-time'>${new Date(details.startedAt).toISOString()}</span></p>
<p>Open sessions: <a href='/sessions'>${details.sessionCount}</a>, open queries: <a href='/queries'>${details.queryCount}</a></p>
<p><a href='/backends?json'>backends (JSON)</a> · <a href='/healthz'>healthz</a></p>
${FOOTER}`;
}

export function queriesPage(page: PageContext): string {
  return `${header(page)}<h2>Queries</h2>
<p id='coordinator-name'>${escapeHtml(page.name)}</p>
<table id='queries-table' class='table' data-loaded='false'>
  <thead><tr><th>Query ID</th><th>Session ID</th><th>Statement</th><th>State</th><th>Rows fetched</th></tr></thead>
  <tbody></tbody>
</table>
<script>
// Like queries.tmpl: the page fetches its own JSON through make_url() and renders it.
fetch(make_url("/queries?json"), { credentials: 'same-origin' })
  .then((response) => response.json())
  .then((json) => {
    const table = document.getElementById('queries-table');
    fill_table(table.tBodies[0], json.queries.map((q) => [q.query_id, q.session_id, q.stmt, q.state, String(q.rows_fetched)]));
    table.dataset.loaded = 'true';
  })
  .catch((error) => { document.getElementById('queries-table').dataset.loaded = 'error: ' + error; });
</script>
${FOOTER}`;
}

export function sessionsPage(page: PageContext, sessions: SessionInfo[]): string {
  const rows = sessions
    .map(
      (session) => `  <tr><td>${formatImpalaId(session.guid)}</td><td>${escapeHtml(session.user)}</td><td>${new Date(session.openedAt).toISOString()}</td>
    <td><form action='/close_session' method='post'><input type='hidden' name='session_id' value='${formatImpalaId(session.guid)}'><button type='submit'>Close</button></form></td></tr>`,
    )
    .join('\n');
  return `${header(page)}<h2>Sessions</h2>
<p>${sessions.length} session(s)</p>
<table id='sessions-table' class='table'>
  <thead><tr><th>Session ID</th><th>User</th><th>Start time</th><th>Action</th></tr></thead>
  <tbody>
${rows}
  </tbody>
</table>
${FOOTER}`;
}

export function messagePage(page: PageContext, message: string): string {
  return `${header(page)}<p id='message'>${escapeHtml(message)}</p>
<p><a href='/sessions'>Back to sessions</a></p>
${FOOTER}`;
}

export const STYLE_CSS = `body { font-family: sans-serif; margin: 0; }
.navbar { background: #333 url('/www/favicon.ico') no-repeat right; padding: 8px; }
.navbar a { color: #eee; margin-right: 12px; }
.nav { display: inline; list-style: none; padding: 0; }
.nav li { display: inline; }
.container { padding: 12px; }
.table td, .table th { border: 1px solid #ccc; padding: 2px 6px; }
`;

export const COMMON_JS = `// Helpers shared by the simulated web UI pages.
function fill_table(tbody, rows) {
  tbody.textContent = '';
  for (const row of rows) {
    const tr = document.createElement('tr');
    for (const cell of row) {
      const td = document.createElement('td');
      td.textContent = cell;
      tr.appendChild(td);
    }
    tbody.appendChild(tr);
  }
}
`;

export function queriesJson(queries: QueryInfo[]): object[] {
  return queries.map((query) => ({
    query_id: formatImpalaId(query.guid),
    session_id: formatImpalaId(Buffer.from(query.sessionGuidHex, 'hex')),
    stmt: query.statement,
    state: query.state,
    start_time: new Date(query.startedAt).toISOString(),
    rows_fetched: query.rowsFetched,
  }));
}

// `ctl status`: the status snapshot as a plain-text table for a terminal (no colours, so it
// survives pipes, `watch` and logs). Scripts should read `ctl status --json` instead.
import type { CoordinatorStatus, StatusSnapshot } from '../status/snapshot.ts';

interface Column {
  readonly title: string;
  readonly isNumeric?: boolean;
  readonly value: (c: CoordinatorStatus, nowMs: number) => string;
}

const reasonWidth = 48;

const columns: readonly Column[] = [
  { title: '#', isNumeric: true, value: (c) => String(c.index) },
  { title: 'COORDINATOR', value: (c) => c.name },
  { title: 'HEALTH', value: (c) => c.health },
  { title: 'STATE', value: (c) => (c.isQuiescing ? `${c.operatorState},quiescing` : c.operatorState) },
  { title: 'SESSIONS', isNumeric: true, value: (c) => String(c.sessions) },
  { title: 'IN FLIGHT', isNumeric: true, value: (c) => String(c.inFlight) },
  { title: 'REQ/S', isNumeric: true, value: (c) => c.requestsPerSec.toFixed(2) },
  { title: 'ERRORS', isNumeric: true, value: (c) => String(c.errors) },
  { title: 'P99', isNumeric: true, value: (c) => (c.p99Ms === null ? '-' : `${c.p99Ms.toFixed(1)} ms`) },
  { title: 'SINCE', isNumeric: true, value: (c, nowMs) => formatAge(nowMs - Date.parse(c.since)) },
  { title: 'REASON', value: (c) => truncate(c.reason, reasonWidth) },
];

export function renderStatusTable(snapshot: StatusSnapshot, adminUrl: string): string {
  const nowMs = Date.parse(snapshot.generatedAt);
  const available = snapshot.coordinators.filter((c) => c.isAvailable).length;
  const head = [
    `impala-ha-proxy ${snapshot.version} at ${adminUrl}`,
    snapshot.isReady ? 'ready' : 'NOT READY',
    `${available} of ${snapshot.coordinators.length} coordinators available`,
    `config generation ${snapshot.generation}`,
    `up ${formatAge(nowMs - Date.parse(snapshot.startedAt))}`,
  ].join(' · ');
  const cells = snapshot.coordinators.map((c) => columns.map((column) => column.value(c, nowMs)));
  const widths = columns.map((column, i) => Math.max(column.title.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => (columns[i]!.isNumeric ? value.padStart(widths[i]!) : value.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [
    head,
    '',
    line(columns.map((c) => c.title)),
    ...cells.map(line),
    '',
    `REQ/S, ERRORS and P99 cover the last ${snapshot.windowSec} s; SINCE is the last health or operator state change.`,
    ...renderTcpListeners(snapshot),
    '',
  ].join('\n');
}

/** TCP listeners, one line each: open connections, then per coordinator. */
function renderTcpListeners(snapshot: StatusSnapshot): string[] {
  if (snapshot.tcpListeners.length === 0) return [];
  const width = Math.max(...snapshot.tcpListeners.map((listener) => listener.name.length));
  return [
    '',
    'TCP LISTENERS',
    ...snapshot.tcpListeners.map((listener) => {
      const per = Object.entries(listener.byCoordinator).map(([name, open]) => `${name} ${open}`).join(', ');
      return `${listener.name.padEnd(width)}  ${listener.address} → ${listener.coordinatorPort}, TLS ${listener.tls}, ${listener.policy}: ${listener.open} open${per ? ` (${per})` : ''}`;
    }),
  ];
}

/** 42s, 5m07s, 3h12m, 4d03h: two units at most. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

function truncate(text: string, length: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= length ? flat : `${flat.slice(0, length - 1)}…`;
}

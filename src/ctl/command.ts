// `impala-ha-proxy ctl …`: the admin API from a shell, as `socat` on HAProxy's stats socket is for
// HAProxy operators. One request per command; every failure is one line on stderr and an exit code
// of its own (errors.ts).
import { parseArgs } from 'node:util';
import type { OperatorChange } from '../admin/server.ts';
import { describeReload, type ReloadSummary } from '../reload-report.ts';
import type { StatusSnapshot } from '../status/snapshot.ts';
import { adminRequest, checkResponse, parseJson, type AdminResponse } from './admin-client.ts';
import { CtlError, exitCodes, oneLine, type ExitCode } from './errors.ts';
import { renderStatusTable } from './status-table.ts';
import { adminTokenVariable, adminUrlVariable, defaultAdminUrl, resolveTarget, type AdminTarget } from './target.ts';

export const ctlUsage = `Usage: impala-ha-proxy ctl [options] <command>

Talks to a running proxy's admin API (admin.host:admin.port).

Commands:
  status                 coordinators: health, state, sessions, in flight, req/s, errors, p99, since
  drain <n|name>         keep the coordinator's pinned clients and TCP connections, send new ones elsewhere
  enable <n|name>        back to normal
  disable <n|name>       no traffic; its pinned clients move at their next RPC, its TCP connections are closed
  reload                 re-read the proxy's config file and apply it, as SIGHUP does

  <n|name>: the coordinator's 1-based number (config order, as in /ui/<n>) or its name.

Options:
      --admin URL        the admin listener, e.g. http://127.0.0.1:9090 (or host:port)
      --token TOKEN      admin.token (visible to other local users in ps: prefer the environment)
  -c, --config FILE      the proxy's config file: admin.host, admin.port and admin.token from it
      --json             print the admin API's JSON answer as it is
      --timeout-ms N     give up after N ms (default 5000)
  -h, --help             this help

The address and the token are each taken from the first of: --admin / --token, --config FILE,
the environment (${adminUrlVariable}, ${adminTokenVariable}), the default (${defaultAdminUrl}, no token).

Exit codes:
  0 done                           4 unauthorized: token missing or not admin.token (401)
  1 unexpected answer              5 no such coordinator (404)
  2 bad usage or config file       6 reload rejected: the proxy keeps its running config (409)
  3 admin API unreachable          7 reload not available: the proxy has no config file (501)`;

const coordinatorKey = /^[A-Za-z0-9._-]{1,63}$/;
const operatorCommands = new Set(['drain', 'enable', 'disable']);

interface Invocation {
  readonly command: string;
  readonly key: string | undefined;
  readonly isJson: boolean;
  readonly timeoutMs: number;
  readonly target: AdminTarget;
}

/** Runs one ctl command; returns the exit code (messages already written). */
export async function runCtl(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<ExitCode> {
  try {
    const invocation = parseInvocation(argv, env);
    if (invocation === 'help') {
      process.stdout.write(`${ctlUsage}\n`);
      return exitCodes.ok;
    }
    process.stdout.write(await execute(invocation));
    return exitCodes.ok;
  } catch (error) {
    if (!(error instanceof CtlError)) throw error;
    process.stderr.write(`impala-ha-proxy ctl: ${error.message}\n`);
    return error.exitCode;
  }
}

function parseInvocation(argv: string[], env: NodeJS.ProcessEnv): Invocation | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        admin: { type: 'string' },
        token: { type: 'string' },
        config: { type: 'string', short: 'c' },
        json: { type: 'boolean' },
        'timeout-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw usageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [command, key, ...extra] = positionals;
  if (command === undefined) throw usageError('a command is required: status, drain, enable, disable or reload');
  if (command === 'status' || command === 'reload') {
    if (key !== undefined) throw usageError(`${command} takes no argument (got "${key}")`);
  } else if (operatorCommands.has(command)) {
    if (key === undefined) throw usageError(`${command} needs a coordinator: its number or its name (ctl status lists them)`);
    if (extra.length > 0) throw usageError(`${command} takes one coordinator (got "${[key, ...extra].join(' ')}")`);
    if (!coordinatorKey.test(key)) throw usageError(`"${key}" is not a coordinator number or name`);
  } else {
    throw usageError(`unknown command "${command}": use status, drain, enable, disable or reload`);
  }
  const timeoutMs = values['timeout-ms'] === undefined ? 5_000 : Number(values['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw usageError(`--timeout-ms: expected a positive number of milliseconds, got "${values['timeout-ms']}"`);
  const target = resolveTarget({ adminFlag: values.admin, tokenFlag: values.token, configFile: values.config, env });
  return { command, key, isJson: values.json === true, timeoutMs, target };
}

function usageError(message: string): CtlError {
  return new CtlError(exitCodes.usage, `${message} (see: impala-ha-proxy ctl --help)`);
}

async function execute(invocation: Invocation): Promise<string> {
  const { command, key, target, timeoutMs, isJson } = invocation;
  if (command === 'status') {
    const response = await adminRequest(target, 'GET', '/status?format=json', timeoutMs);
    checkResponse(target, response, 'status');
    const snapshot = parseJson<StatusSnapshot>(target, response, 'status');
    if (snapshot.service !== 'impala-ha-proxy' || !Array.isArray(snapshot.coordinators)) {
      throw new CtlError(exitCodes.unexpected, `status: ${target.url} did not answer like an impala-ha-proxy admin API`);
    }
    return isJson ? response.body : renderStatusTable(snapshot, target.url);
  }
  if (command === 'reload') {
    const response = await adminRequest(target, 'POST', '/admin/reload', timeoutMs);
    checkReload(target, response);
    const summary = parseJson<Partial<ReloadSummary>>(target, response, 'reload');
    return isJson ? response.body : `${describeReload(summary)}\n`;
  }
  const response = await adminRequest(target, 'POST', `/admin/coordinators/${encodeURIComponent(key!)}/${command}`, timeoutMs);
  if (response.status === 404 && /^no coordinator /.test(response.body)) {
    throw new CtlError(exitCodes.noSuchCoordinator, `${command}: ${oneLine(response.body)} at ${target.url}; ctl status lists them`);
  }
  checkResponse(target, response, command);
  const change = parseJson<OperatorChange>(target, response, command);
  return isJson ? response.body : `${change.coordinator}: ${change.before} → ${change.after}\n`;
}

function checkReload(target: AdminTarget, response: AdminResponse): void {
  if (response.status === 409) {
    const answer = parseJson<{ message?: string }>(target, response, 'reload');
    throw new CtlError(exitCodes.reloadRejected, `reload rejected, the proxy keeps serving its running config: ${oneLine(answer.message ?? response.body)}`);
  }
  if (response.status === 501) throw new CtlError(exitCodes.reloadUnavailable, `reload: ${oneLine(response.body)} (${target.url})`);
  if (response.status === 404) throw new CtlError(exitCodes.reloadUnavailable, `reload: ${target.url} has no POST /admin/reload (an older impala-ha-proxy?): send it SIGHUP instead`);
  checkResponse(target, response, 'reload');
}

#!/usr/bin/env -S node --max-semi-space-size=8
// argv → config → start. No proxy logic lives here.
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { workerCount } from './cluster/worker-count.ts';
import { ConfigError, loadConfigFile } from './config/load.ts';
import { isLogLevel, logLevels } from './config/schema.ts';
import { tuneGarbageCollector } from './gc-tuning.ts';
import { describeStartFailure } from './start-failure.ts';
import { tlsProblems } from './tls/files.ts';
import { isUsageError } from './usage-error.ts';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export const usage = `impala-ha-proxy ${packageJson.version} — a cookie-affine, highly available front end for Apache Impala coordinators (hs2-http, binary HS2 and Beeswax over TCP)

Usage:
  impala-ha-proxy --config FILE            run the proxy
  impala-ha-proxy --config FILE --check-config
                                           validate FILE and every certificate, key and CA file it
                                           names (and that no two listeners share a port), print the
                                           result, exit 0 (valid) or 2 (invalid)
  impala-ha-proxy demo [options]           the proxy in front of three simulated coordinators over TLS;
                                           prints how to connect impala-shell, impyla, ODBC and JDBC
                                           (--failover stops one coordinator after a few seconds;
                                           see: demo --help)
  impala-ha-proxy simulate [options]       run simulated coordinators only (see: simulate --help)
  impala-ha-proxy ctl [options] <command>  talk to a running proxy's admin API: status, drain, enable,
                                           disable, reload (see: ctl --help)

Options:
  -c, --config FILE      YAML or JSON config (every option, with defaults: examples/proxy.yaml)
      --check-config     validate the config and exit
      --log-level LEVEL  override log.level (fatal, error, warn, info, debug, trace, silent)
  -h, --help             this help
  -v, --version          print the version

Processes: one by default. With server.workers N (or auto: one per core), a primary runs the
         health checks and the admin listener and N worker processes share the client
         listeners; signals go to the primary (the pid that was started).
Signals: SIGHUP (or: impala-ha-proxy ctl reload) reloads the config file and certificates (an
         invalid one is rejected, the running config keeps serving); SIGTERM/SIGINT finish
         in-flight requests and give TCP connections server.shutdownTimeoutMs, then exit 0.
Exit codes: 0 ok, 1 runtime failure (e.g. a port already taken), 2 bad usage or invalid config.`;

async function main(argv: string[]): Promise<number> {
  // A worker of `server.workers` (cluster.fork runs this file again): its config comes from the primary.
  if (cluster.isWorker) {
    const { runWorker } = await import('./cluster/worker-main.ts');
    return runWorker();
  }
  const command = argv[0] !== undefined && !argv[0].startsWith('-') ? argv[0] : undefined;
  const rest = command === undefined ? argv : argv.slice(1);
  if (command === 'simulate' || command === 'demo') {
    try {
      if (command === 'demo') return await (await import('./tools/demo.ts')).runDemo(rest);
      await (await import('./tools/simulator/command.ts')).runSimulate(rest);
      return 0;
    } catch (error) {
      if (!isUsageError(error)) throw error;
      process.stderr.write(`impala-ha-proxy ${command}: ${error.message} (see: impala-ha-proxy ${command} --help)\n`);
      return 2;
    }
  }
  if (command === 'ctl') {
    const { runCtl } = await import('./ctl/command.ts');
    return runCtl(rest);
  }
  if (command !== undefined) {
    process.stderr.write(`impala-ha-proxy: unknown command "${command}"\n\n${usage}\n`);
    return 2;
  }

  let options;
  try {
    ({ values: options } = parseArgs({
      args: rest,
      options: {
        config: { type: 'string', short: 'c' },
        'check-config': { type: 'boolean' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`impala-ha-proxy: ${(error as Error).message}\n\n${usage}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (options.version) {
    process.stdout.write(`${packageJson.version}\n`);
    return 0;
  }
  if (options.config === undefined) {
    process.stderr.write(`impala-ha-proxy: --config FILE is required (or try: impala-ha-proxy demo)\n\n${usage}\n`);
    return 2;
  }

  const logLevel = options['log-level'];
  if (logLevel !== undefined && !isLogLevel(logLevel)) {
    process.stderr.write(`impala-ha-proxy: --log-level: expected one of ${logLevels.join(', ')}, got "${logLevel}"\n`);
    return 2;
  }
  let config;
  try {
    config = loadConfigFile(options.config);
    // What start-up would trip on beyond the schema: every certificate, key and CA file.
    const problems = tlsProblems(config);
    if (problems.length > 0) throw new ConfigError(options.config, problems);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`impala-ha-proxy: ${error.message}\n`);
    return 2;
  }
  if (options['check-config']) {
    process.stdout.write(`${options.config}: valid (${config.coordinators.length} coordinators: ${config.coordinators.map((c) => c.name).join(', ')})\n`);
    return 0;
  }
  const level = logLevel ?? config.log.level;
  const workers = workerCount(config.server.workers);
  // Imported here, not at the top: ctl, simulate and --check-config never load the proxy (ctl
  // started 0.3 s sooner, measured by the operator branch).
  const { createLogger } = await import('./log.ts');
  // With workers, every process writes to the same stdout: only whole lines, one write each.
  const logger = createLogger(level, workers > 1 ? (await import('./cluster/log-destination.ts')).sharedStdout() : undefined);
  tuneGarbageCollector();
  const configPath = options.config;
  const loadConfig = () => loadConfigFile(configPath);
  let proxy: { reloadFromSource(): Promise<unknown>; close(): Promise<void> };
  try {
    if (workers > 1) {
      const { startPrimary } = await import('./cluster/primary.ts');
      proxy = await startPrimary(config, logger, { workers, logLevel: level, loadConfig });
    } else {
      const { startProxy } = await import('./main.ts');
      proxy = await startProxy(config, logger, { loadConfig });
    }
  } catch (error) {
    // Failures an operator can fix get one line naming the key; anything else is a bug and keeps its stack.
    const failure = describeStartFailure(error, config);
    if (failure === undefined) throw error;
    logger.flush();
    process.stderr.write(`impala-ha-proxy: ${failure.line}\n`);
    return failure.exitCode;
  }
  // Reloads run one at a time; a SIGHUP during a reload is applied after it.
  let reloading = Promise.resolve();
  const reload = () => {
    reloading = reloading.then(async () => {
      logger.info({ event: 'signal', signal: 'SIGHUP' }, `SIGHUP: reloading ${configPath}`);
      // A file that does not load or apply is one reload-rejected line; the running config keeps serving.
      await proxy.reloadFromSource().catch(() => undefined);
    });
  };
  process.on('SIGHUP', reload);
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ event: 'signal', signal }, `${signal}: finishing in-flight requests, then exiting`);
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      process.off('SIGHUP', reload);
      void proxy.close().then(resolve);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  logger.flush();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`impala-ha-proxy: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);

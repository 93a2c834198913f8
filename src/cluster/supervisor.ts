// The primary's worker processes: forks them, starts each with the primary's state, replaces one
// that dies, carries messages both ways, and drains them all at shutdown. What the messages mean
// is primary.ts's business; this file knows processes, phases, questions and deadlines.
//
// Scheduling: round-robin (cluster.SCHED_RR, Node's default on Linux, set explicitly unless
// NODE_CLUSTER_SCHED_POLICY says otherwise). The primary accepts each client connection and hands
// it to the next worker. With SCHED_NONE every worker accept()s on the shared socket and the
// kernel picks whichever wakes first: Node's cluster docs measured 70 % of connections in two of
// eight processes, and impyla and impala-shell ≤ 4.5 make a new connection for every RPC, so the
// spread of connections is the spread of work. RR costs the primary one accept and one descriptor
// passed over IPC per connection (measured: README "Workers"). In both modes the primary holds
// the listening sockets, so a worker that dies never closes a listener.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../log.ts';
import { isEnvelope, Outbox, type Answer, type BoundListener, type Question, type SharedState, type StartMessage, type ToPrimary, type ToWorker } from './protocol.ts';

/** forked: no `start` sent yet; starting: building and listening; serving; stopping: draining after `shutdown`. */
export type WorkerPhase = 'forked' | 'starting' | 'serving' | 'stopping';

export class WorkerHandle {
  readonly worker: Worker;
  readonly id: number;
  readonly pid: number;
  readonly forkedAtMs = Date.now();
  // Written only by the steps of its life below: start, beginServing, commit, stop.
  #phase: WorkerPhase = 'forked';
  #startedAtMs: number | undefined;
  #generation = 0;
  #tcpListeners: readonly BoundListener[] = [];
  readonly #outbox: Outbox<ToWorker>;
  readonly #pending = new Map<number, (value: unknown) => void>();

  constructor(worker: Worker, onSent: (count: number) => void) {
    this.worker = worker;
    this.id = worker.id;
    this.pid = worker.process.pid ?? 0;
    this.#outbox = new Outbox((envelope) => {
      if (!worker.isConnected()) return;
      // A worker that dies between the check and the write: its exit is handled by the supervisor.
      worker.send(envelope, undefined, () => undefined);
    }, onSent);
  }

  get phase(): WorkerPhase {
    return this.#phase;
  }

  /** When it said it serves; undefined before. */
  get startedAtMs(): number | undefined {
    return this.#startedAtMs;
  }

  /** The config generation it serves: the one of its start message, then of each reload it was told to commit. */
  get generation(): number {
    return this.#generation;
  }

  /** Where its TCP listeners are bound, as it said when it began serving. */
  get tcpListeners(): readonly BoundListener[] {
    return this.#tcpListeners;
  }

  send(message: ToWorker): void {
    this.#outbox.push(message);
  }

  /** Its start message: from now on it builds, listens and gets every change. */
  start(message: StartMessage): void {
    this.#generation = message.generation;
    this.#phase = 'starting';
    this.send(message);
  }

  /** It built its generation and listens (its `started` message). */
  beginServing(tcpListeners: readonly BoundListener[]): void {
    this.#phase = 'serving';
    this.#startedAtMs = Date.now();
    this.#tcpListeners = tcpListeners;
  }

  /** Swap in generation `generation` (which it prepared), with the registry as the primary left it. */
  commit(generation: number, state: SharedState): void {
    this.#generation = generation;
    this.send({ type: 'reload-commit', generation, state });
  }

  /** Drain and exit: told so once it has its start message; one that has none yet is sent SIGTERM. */
  stop(): void {
    if (this.#phase === 'forked') this.worker.process.kill('SIGTERM');
    else this.send({ type: 'shutdown' });
    this.#phase = 'stopping';
  }

  /** The worker's reply, or undefined when it gives none within `deadlineMs` (or dies). */
  ask<K extends Question['kind']>(id: number, question: Extract<Question, { kind: K }>, deadlineMs: number): Promise<Answer<K> | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(undefined), deadlineMs);
      const settle = (value: unknown) => {
        clearTimeout(timer);
        this.#pending.delete(id);
        resolve(value as Answer<K> | undefined);
      };
      this.#pending.set(id, settle);
      this.send({ type: 'ask', id, question });
    });
  }

  answer(id: number, value: unknown): void {
    this.#pending.get(id)?.(value);
  }

  /** The worker is gone: nothing it was asked will be answered. */
  abandonQuestions(): void {
    for (const settle of [...this.#pending.values()]) settle(undefined);
  }
}

/** A worker could not start at start-up: the proxy does not start (exit code as one process would). */
export class WorkerStartError extends Error {
  readonly exitCode: number;

  constructor(line: string, exitCode: number) {
    super(line);
    this.name = 'WorkerStartError';
    this.exitCode = exitCode;
  }
}

export interface SupervisorOptions {
  readonly count: number;
  readonly logger: Logger;
  /** The start message for a worker that is ready for it: the primary's state at this moment. */
  readonly startMessage: (handle: WorkerHandle) => StartMessage;
  /** What primary.ts handles: failures, sessions, connections. */
  readonly onMessage: (handle: WorkerHandle, message: ToPrimary) => void;
  /** A worker started serving (e.g. to catch it up on a reload it missed). */
  readonly onServing: (handle: WorkerHandle) => void;
  /** A worker is gone. */
  readonly onGone: (handle: WorkerHandle) => void;
  /** Messages sent to workers (counted per worker). */
  readonly onSent: (count: number) => void;
}

/** A worker that does not serve this long after its fork is stuck: it is killed (and replaced). */
const startDeadlineMs = 60_000;
/** A worker that lived shorter than this counts as a failed start for the restart backoff. */
const steadyLifeMs = 10_000;
const maxRestartDelayMs = 30_000;

export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #handles = new Map<number, WorkerHandle>();
  #nextQuestion = 0;
  #isStopping = false;
  /** Until every first worker serves: a failure fails the start. */
  #startup: { resolve: () => void; reject: (error: Error) => void } | undefined;
  #fastExits = 0;
  readonly #restartTimers = new Set<NodeJS.Timeout>();
  readonly #exited = new Map<number, Promise<void>>();

  constructor(options: SupervisorOptions) {
    this.#options = options;
    // Read by the first fork; NODE_CLUSTER_SCHED_POLICY (none, rr), when set, is the operator's choice.
    if (process.env.NODE_CLUSTER_SCHED_POLICY === undefined) cluster.schedulingPolicy = cluster.SCHED_RR;
    // Structured clone: typed arrays (the status page's latency bins) cross as they are.
    cluster.setupPrimary({ serialization: 'advanced' });
  }

  /** Forks `count` workers; resolves once all serve, rejects (having stopped them) on the first that cannot start. */
  async start(): Promise<void> {
    const started = new Promise<void>((resolve, reject) => (this.#startup = { resolve, reject }));
    for (let i = 0; i < this.#options.count; i++) this.#fork();
    try {
      await started;
    } catch (error) {
      this.#isStopping = true;
      for (const handle of this.#handles.values()) handle.worker.process.kill('SIGKILL');
      await Promise.all(this.#exited.values());
      throw error;
    } finally {
      this.#startup = undefined;
    }
  }

  get handles(): readonly WorkerHandle[] {
    return [...this.#handles.values()];
  }

  /** Workers that serve (they answer questions and take reloads). */
  serving(): WorkerHandle[] {
    return this.handles.filter((handle) => handle.phase === 'serving');
  }

  /** To every worker that has its start message: what changed since is what it must apply. */
  broadcast(message: ToWorker): void {
    for (const handle of this.#handles.values()) if (handle.phase !== 'forked') handle.send(message);
  }

  ask<K extends Question['kind']>(handles: readonly WorkerHandle[], question: Extract<Question, { kind: K }>, deadlineMs: number): Promise<(Answer<K> | undefined)[]> {
    return Promise.all(handles.map((handle) => handle.ask(++this.#nextQuestion, question, deadlineMs)));
  }

  /** Resolves with the workers that did not confirm within `deadlineMs` that they applied everything sent so far. */
  async barrier(handles: readonly WorkerHandle[], deadlineMs: number): Promise<WorkerHandle[]> {
    const answers = await this.ask(handles, { kind: 'barrier' }, deadlineMs);
    return handles.filter((_, i) => answers[i] === undefined);
  }

  /**
   * Every worker drains (server.shutdownTimeoutMs, which each reads from its own config) and exits;
   * one still running `killAfterMs` later is killed.
   */
  async shutdown(killAfterMs: number): Promise<void> {
    this.#isStopping = true;
    for (const timer of this.#restartTimers) clearTimeout(timer);
    for (const handle of this.#handles.values()) handle.stop();
    const killer = setTimeout(() => {
      for (const handle of this.#handles.values()) {
        this.#options.logger.warn({ event: 'worker-kill', worker: handle.id, pid: handle.pid }, `worker ${handle.id} (pid ${handle.pid}) did not exit within ${killAfterMs} ms of shutdown: killing it`);
        handle.worker.process.kill('SIGKILL');
      }
    }, killAfterMs);
    await Promise.all(this.#exited.values());
    clearTimeout(killer);
  }

  #fork(): void {
    const worker = cluster.fork();
    const handle = new WorkerHandle(worker, this.#options.onSent);
    this.#handles.set(handle.id, handle);
    worker.on('message', (envelope: unknown) => {
      if (!isEnvelope<ToPrimary>(envelope)) return;
      for (const message of envelope.impalaHaProxy) this.#receive(handle, message);
    });
    // Sending to a worker that just died fails asynchronously; its exit is what counts.
    worker.on('error', (error: Error) => this.#options.logger.debug({ event: 'worker-error', worker: handle.id, err: error }, `worker ${handle.id}: ${error.message}`));
    const stuck = setTimeout(() => {
      if (handle.phase !== 'forked' && handle.phase !== 'starting') return;
      this.#options.logger.error({ event: 'worker-stuck', worker: handle.id, pid: handle.pid, phase: handle.phase }, `worker ${handle.id} (pid ${handle.pid}) did not start serving within ${startDeadlineMs} ms: killing it`);
      worker.process.kill('SIGKILL');
    }, startDeadlineMs);
    stuck.unref();
    this.#exited.set(handle.id, new Promise((resolve) => worker.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(stuck);
      this.#onExit(handle, code, signal);
      resolve();
    })));
  }

  #receive(handle: WorkerHandle, message: ToPrimary): void {
    switch (message.type) {
      case 'hello': {
        if (handle.phase !== 'forked') return;
        handle.start(this.#options.startMessage(handle));
        return;
      }
      case 'started': {
        if (handle.phase !== 'starting') return;
        handle.beginServing(message.tcpListeners);
        this.#options.logger.info({ event: 'worker-started', worker: handle.id, pid: handle.pid, generation: handle.generation }, `worker ${handle.id} (pid ${handle.pid}) serves generation ${handle.generation}`);
        this.#options.onServing(handle);
        if (this.#startup !== undefined && this.serving().length === this.#options.count) this.#startup.resolve();
        return;
      }
      case 'start-failed':
        if (this.#startup !== undefined) this.#startup.reject(new WorkerStartError(message.line, message.exitCode));
        else this.#options.logger.error({ event: 'worker-start-failed', worker: handle.id, pid: handle.pid, detail: message.line }, `worker ${handle.id} (pid ${handle.pid}) could not start: ${message.line}`);
        return;
      case 'reply':
        handle.answer(message.id, message.value);
        return;
      default:
        this.#options.onMessage(handle, message);
    }
  }

  #onExit(handle: WorkerHandle, code: number | null, signal: NodeJS.Signals | null): void {
    this.#handles.delete(handle.id);
    this.#exited.delete(handle.id);
    handle.abandonQuestions();
    this.#options.onGone(handle);
    const wasStopping = this.#isStopping || handle.phase === 'stopping';
    const livedMs = handle.startedAtMs === undefined ? 0 : Date.now() - handle.startedAtMs;
    if (this.#startup !== undefined && !wasStopping) {
      this.#startup.reject(new WorkerStartError(`worker ${handle.id} (pid ${handle.pid}) exited (${signal ?? code}) before it started`, 1));
      return;
    }
    if (wasStopping) {
      this.#options.logger.info({ event: 'worker-exit', worker: handle.id, pid: handle.pid, code, signal }, `worker ${handle.id} (pid ${handle.pid}) exited (${signal ?? code})`);
      return;
    }
    // A worker that keeps dying young is restarted ever later (0, 1, 2, 4 … 30 s), not in a loop.
    this.#fastExits = livedMs < steadyLifeMs ? this.#fastExits + 1 : 0;
    const restartInMs = this.#fastExits <= 1 ? 0 : Math.min(maxRestartDelayMs, 500 * 2 ** (this.#fastExits - 1));
    this.#options.logger.warn(
      { event: 'worker-exit', worker: handle.id, pid: handle.pid, code, signal, livedMs, restartInMs },
      `worker ${handle.id} (pid ${handle.pid}) exited (${signal ?? code}) after ${Math.round(livedMs / 1000)} s: its in-flight requests are lost; starting a replacement${restartInMs > 0 ? ` in ${restartInMs} ms` : ''}`,
    );
    const timer = setTimeout(() => {
      this.#restartTimers.delete(timer);
      if (!this.#isStopping) this.#fork();
    }, restartInMs);
    this.#restartTimers.add(timer);
  }
}

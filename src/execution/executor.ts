import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RequestContext } from '../context.js';
import { smallRequestCounter } from '../limits/budget.js';
import { bodyOfBytes } from '../limits/stringify.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../observability/metrics.js';
import {
  type ExecutionOutcome,
  type FromWorker,
  failureOf,
  rebuildError,
  stoppedBy,
  type ToWorker,
  type WorkerEvent,
  type WorkerSettings,
} from './protocol.js';

/**
 * Large queries execute in a worker thread: those estimated at `LARGE_REQUEST_OBJECTS` or more,
 * counting only what their caller's permissions let them read (see `createBff`).
 *
 * Slicing (src/limits/budget.ts) keeps one large response from blocking the event loop, but not
 * from sharing its heap: while a response of megabytes is built, the garbage collector pauses
 * every request of the process, 6-15 ms at a time, and each of a small request's turns waits
 * for one of the large one's slices. In a worker, the large request has a heap and an event
 * loop of its own; the main thread parses, validates, estimates and admits it as before, hands
 * it over, answers the worker's questions about the caller (the request's own `Identity`: one
 * lookup, one cache, the same waves of upstream calls as in place) and writes the bytes it gets
 * back (transferred, not copied) in slices. Mutations never go there, nor requests below the
 * threshold: a hand-over costs about a millisecond of CPU (messages, a second request context),
 * so the common path stays in place.
 *
 * The worker has its own upstream pools (connections, retries, circuit breakers), opened from
 * the same settings; its log lines and metrics are relayed to the main thread's. Its traces
 * are not: a request executed there has no spans for its upstream calls.
 */
export class ExecutionWorker {
  private worker: WorkerThread | undefined;
  private started: Promise<void> | undefined;
  private nextId = 1;
  private readonly running = new Map<number, Pending>();
  private closed = false;

  private readonly settings: WorkerSettings;

  constructor(
    settings: Omit<WorkerSettings, 'smallRequests'>,
    private readonly deps: {
      readonly log: Logger;
      readonly metrics?: Pick<Metrics, 'denied' | 'upstream' | 'retried'>;
      /** Starts the thread (tests give a stand-in); by default the worker beside this file. */
      readonly spawn?: (settings: WorkerSettings) => WorkerThread;
    },
  ) {
    this.settings = { ...settings, smallRequests: smallRequestCounter() };
  }

  /** Starts the thread (loads the schema, opens its pools); resolves once it can take requests. */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('execution worker is closed'));
    if (this.started !== undefined) return this.started;
    const worker = (this.deps.spawn ?? spawn)(this.settings);
    this.worker = worker;
    this.started = new Promise<void>((resolve, reject) => {
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          this.deps.log.info('execution.worker_started', { ...message.priority });
          resolve();
        } else this.receive(message);
      });
      worker.once('error', (error) => {
        reject(error);
        this.lost(worker, error);
      });
      worker.once('exit', (code) => {
        reject(new Error(`execution worker exited with code ${code}`));
        this.lost(worker, new Error(`execution worker exited with code ${code}`));
      });
    });
    return this.started;
  }

  /** Executes `ctx`'s operation in the worker; resolves with the response's parts. */
  async run(ctx: RequestContext, request: WorkerRequest, objects: number): Promise<ExecutionOutcome> {
    await this.start();
    const worker = this.worker;
    if (worker === undefined || this.closed) throw new Error('execution worker is closed');
    const id = this.nextId++;
    const post = (message: ToWorker) => worker.postMessage(message);
    // Abandoned here (deadline, a customer bound): the worker's budget stops too, and aborts its
    // upstream calls. The request is answered at once with what stopped it, whatever the worker
    // does next: a client never waits on the worker for a request that is over. The job stays
    // registered until the worker ends it, to answer its questions and relay its log lines.
    const signal = ctx.budget.signal;
    // The first answer counts (a promise settles once): the abort's, or the worker's.
    let answer!: (outcome: ExecutionOutcome | Error) => void;
    const answered = new Promise<ExecutionOutcome>((resolve, reject) => {
      answer = (outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome));
    });
    const onAbort = () => {
      const error = ctx.budget.stoppedBy;
      if (error === null) return;
      const stopped = stoppedBy(error);
      post({ type: 'abort', id, error: stopped });
      answer({ stopped });
    };
    this.running.set(id, {
      ctx,
      post,
      settle: (outcome) => {
        signal.removeEventListener('abort', onAbort);
        this.running.delete(id);
        answer(outcome);
      },
    });
    signal.addEventListener('abort', onAbort, { once: true });
    post({
      type: 'run',
      job: {
        id,
        source: request.source,
        operationName: request.operationName,
        variables: request.variables,
        principal: ctx.principal,
        objects,
        now: ctx.now(),
        requestId: ctx.telemetry?.requestId ?? null,
        upstreamHeaders: ctx.telemetry?.upstreamHeaders ?? {},
        ...(ctx.identity.known === undefined ? {} : { identity: { known: ctx.identity.known, rejection: ctx.identity.rejection ?? null } }),
        operationNameForLog: request.operationNameForLog,
      },
    });
    if (signal.aborted) onAbort();
    return answered;
  }

  /** Stops the thread; requests still in it fail. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (worker === undefined) return;
    await worker.terminate();
    this.lost(worker, new Error('execution worker is closed'));
  }

  private receive(message: FromWorker): void {
    switch (message.type) {
      case 'ready':
        return;
      case 'events':
        this.apply(message.events);
        return;
      case 'done':
      case 'failed':
        this.apply(message.events);
    }
    const pending = this.running.get(message.id);
    if (pending === undefined) return;
    const { ctx, post } = pending;
    switch (message.type) {
      case 'done':
        if (message.outcome.stopped !== null) ctx.budget.abandon(rebuildError(message.outcome.stopped));
        pending.settle(message.outcome);
        return;
      case 'failed':
        pending.settle(new Error(`execution worker: ${message.error}`));
        return;
      case 'identity?':
        Promise.resolve(ctx.identity.resolve()).then(
          (known) => post({ type: 'identity', id: message.id, answer: { known, rejection: ctx.identity.rejection ?? null } }),
          (error: unknown) => post({ type: 'identity', id: message.id, answer: null, ...failureOf(error) }),
        );
        return;
      case 'entitlements?': {
        const { customerId } = message;
        Promise.resolve(ctx.identity.entitlements(customerId)).then(
          (features) => post({ type: 'entitlements', id: message.id, customerId, features: Array.from(features) }),
          (error: unknown) => post({ type: 'entitlements', id: message.id, customerId, features: null, ...failureOf(error) }),
        );
        return;
      }
    }
  }

  /** Log lines and metrics of the worker, into this thread's logger and metrics. */
  private apply(events: readonly WorkerEvent[]): void {
    const { log, metrics } = this.deps;
    for (const event of events) {
      switch (event.type) {
        case 'log':
          log[event.level](event.msg, event.fields);
          break;
        case 'denied':
          metrics?.denied(event.rule, event.field);
          break;
        case 'upstream':
          metrics?.upstream(event.service, event.outcome, event.seconds);
          break;
        case 'retried':
          metrics?.retried(event.service);
          break;
      }
    }
  }

  /** The thread is gone: what ran there fails (answered as internal errors), the next request starts a new one. */
  private lost(worker: WorkerThread, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.started = undefined;
    for (const pending of [...this.running.values()]) pending.settle(error);
    if (!this.closed) this.deps.log.error('execution.worker_lost', { error: error.message });
  }
}

/** The operation as the main thread received and resolved it. */
export interface WorkerRequest {
  readonly source: string;
  /** As the client sent it (execution selects by it). */
  readonly operationName: string | null;
  /** The operation's name once resolved, for log lines (as Apollo reports it). */
  readonly operationNameForLog: string | null;
  readonly variables: Record<string, unknown> | undefined;
}

/** What the executor uses of its thread: a `Worker`, or a stand-in in tests. */
export interface WorkerThread {
  postMessage(message: ToWorker): void;
  on(event: 'message', listener: (message: FromWorker) => void): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
  once(event: 'exit', listener: (code: number) => void): unknown;
  terminate(): Promise<number>;
}

interface Pending {
  readonly ctx: RequestContext;
  readonly post: (message: ToWorker) => void;
  settle(outcome: ExecutionOutcome | Error): void;
}

/**
 * The worker thread: compiled JavaScript beside this file, or (under tsx and in tests, where
 * this file is TypeScript) the TypeScript entry loaded through tsx's loader, which a worker
 * does not inherit from `--import tsx`.
 */
function spawn(settings: WorkerSettings): WorkerThread {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./worker.js', here), { workerData: settings });
  const tsx = pathToFileURL(
    createRequire(here)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const entry = new URL('./worker.ts', here).href;
  const code = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(code, { eval: true, workerData: settings });
}

// A response's `data` executed in the worker is the bytes the worker made of it; Apollo carries
// a placeholder in its place until the response is serialized (see `createGraphQLServer`).
const relayed = new WeakMap<object, Uint8Array>();

/** A placeholder for `data` that serializes as `bytes` (see `serializeRelayed`). */
export function relayedData(bytes: Uint8Array): Record<string, unknown> {
  const placeholder = {};
  relayed.set(placeholder, bytes);
  return placeholder;
}

/**
 * The response body (with its final newline) as JSON.stringify would write it, the relayed
 * `data` bytes in place, as a body `writeInSlices` writes without copying them; undefined when
 * the response's data is not relayed.
 */
export function serializeRelayed(value: { readonly data?: unknown }): string | undefined {
  const data = value.data;
  const bytes = typeof data === 'object' && data !== null ? relayed.get(data) : undefined;
  if (bytes === undefined) return undefined;
  const before: string[] = [];
  const after: string[] = [];
  let seen = false;
  for (const [key, member] of Object.entries(value)) {
    if (key === 'data') seen = true;
    else if (member !== undefined) (seen ? after : before).push(`${JSON.stringify(key)}:${JSON.stringify(member)}`);
  }
  const prefix = `{${before.map((member) => `${member},`).join('')}"data":`;
  const suffix = `${after.map((member) => `,${member}`).join('')}}\n`;
  return bodyOfBytes(prefix, bytes, suffix);
}

import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { execute, type GraphQLError, parse } from 'graphql';
import { Identity, type IdentitySource } from '../auth/identity.js';
import type { Denial } from '../authz/apply.js';
import { type Clock, systemClock } from '../clock.js';
import { type ContextDependencies, createRequestContext, type RequestContext } from '../context.js';
import { groupRepeatedErrors } from '../error-grouping.js';
import { formatError, logInternalErrors, toFormattedError } from '../errors.js';
import type { Logger } from '../log.js';
import { followSmallRequests } from '../limits/budget.js';
import { lowerThreadPriority } from './priority.js';
import { createAuthorizedSchema } from '../schema.js';
import { createUpstreams } from '../upstream/index.js';
import {
  type ExecutionJob,
  type ExecutionOutcome,
  type FromWorker,
  rebuildError,
  lookupFailure,
  stoppedBy,
  type ToWorker,
  type WorkerEvent,
  type WorkerSettings,
} from './protocol.js';

/**
 * The execution worker's thread: it executes the large requests the main thread hands it
 * (src/execution/executor.ts) with the same schema, policy, loaders and budget as the main
 * thread, on upstream pools of its own. Its heap, and so its garbage collector, is its own:
 * building a response of megabytes no longer pauses the event loop that serves everyone else.
 * What belongs to the whole process stays in the main thread and is asked for or told: the
 * caller's identity and entitlements (one lookup, one cache, one decision per request),
 * log lines and metrics.
 */

const port = parentPort;
if (port === null) throw new Error('src/execution/worker.ts runs as a worker thread');
const settings = workerData as WorkerSettings;
const encoder = new TextEncoder();
const send = (message: FromWorker) => port.postMessage(message);
followSmallRequests(settings.smallRequests);
// Below the main thread: on a busy machine a large query waits for a core, not everyone else.
const priority = lowerThreadPriority(settings.nice);

// Events wait here for the next job's answer, or the end of this turn, whichever comes first.
let outbox: WorkerEvent[] = [];
function tell(event: WorkerEvent): void {
  outbox.push(event);
  if (outbox.length === 1) setImmediate(() => outbox.length > 0 && send({ type: 'events', events: takeEvents() }));
}
function takeEvents(): WorkerEvent[] {
  const events = outbox;
  outbox = [];
  return events;
}

// Log lines go to the main thread's logger; fields that cannot be cloned cross as JSON.
const relay = (level: 'debug' | 'info' | 'warn' | 'error') => (msg: string, fields?: Record<string, unknown>) => {
  let cloneable = fields;
  try {
    if (fields !== undefined) structuredClone(fields);
  } catch {
    cloneable = JSON.parse(JSON.stringify(fields)) as Record<string, unknown>;
  }
  tell({ type: 'log', level, msg, ...(cloneable === undefined ? {} : { fields: cloneable }) });
};
const log: Logger = { debug: relay('debug'), info: relay('info'), warn: relay('warn'), error: relay('error') };

const upstreams = createUpstreams(settings.upstream, {
  urls: settings.urls,
  clock: systemClock,
  log,
  observer: {
    attempt(service) {
      const started = performance.now();
      return { end: (outcome) => tell({ type: 'upstream', service, outcome, seconds: (performance.now() - started) / 1000 }) };
    },
    retried: (service) => tell({ type: 'retried', service }),
  },
});

const schema = createAuthorizedSchema({
  onDenial: (ctx: RequestContext, denial: Denial) => {
    ctx.requestLog.denied(denial);
    tell({ type: 'denied', rule: denial.rule, field: denial.field });
  },
});

/** A promise answered by a later message of the main thread. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

async function run(job: ExecutionJob): Promise<ExecutionOutcome> {
  const waiting: Waiting = { entitlements: new Map() };
  const source: IdentitySource = {
    identity: async () => {
      waiting.identity ??= deferred();
      send({ type: 'identity?', id: job.id });
      const { answer, error } = await waiting.identity.promise;
      if (answer === null) throw lookupFailure('identity lookup', error);
      return answer;
    },
    entitlements: async (customerId) => {
      const wait = deferred<EntitlementsAnswer>();
      waiting.entitlements.set(customerId, wait);
      send({ type: 'entitlements?', id: job.id, customerId });
      const { features, error } = await wait.promise;
      if (features === null) throw lookupFailure('entitlements lookup', error);
      return features;
    },
  };
  // The main thread's time, moved on by this thread's monotonic clock.
  const offset = job.now - performance.now();
  const clock: Clock = { ...systemClock, now: () => offset + performance.now() };
  const deps: ContextDependencies = {
    upstreams,
    log,
    maxPageSize: settings.maxPageSize,
    clock,
    execution: settings.execution,
    identity: (principal) => new Identity(principal, source, job.identity),
  };
  const ctx = createRequestContext(
    job.principal,
    deps,
    undefined,
    job.requestId === null ? undefined : { requestId: job.requestId, upstreamHeaders: job.upstreamHeaders },
  );
  jobs.set(job.id, { ctx, waiting });
  try {
    ctx.budget.expect(job.objects);
    const result = await execute({
      schema,
      document: parse(job.source),
      variableValues: job.variables,
      operationName: job.operationName,
      contextValue: ctx,
    });
    const stopped = ctx.budget.stoppedBy;
    const { subject, clientId } = job.principal;
    const operationName = job.operationNameForLog;
    logInternalErrors(ctx.log, (result.errors ?? []) as GraphQLError[], { operationName, subject });
    // As requestEnd (src/server.ts) flushes a request executed in place.
    ctx.requestLog.flush({ subject, clientId, customerId: ctx.identity.known?.customerId ?? null, operationName });
    if (stopped !== null) return { stopped: stoppedBy(stopped) };
    const errors = result.errors?.map((error) => formatError(toFormattedError(error)));
    return {
      stopped: null,
      ...(errors === undefined ? {} : { errors: errors.length < 2 ? errors : groupRepeatedErrors(errors) }),
      ...(result.data === undefined ? {} : { data: result.data === null ? null : encoder.encode(JSON.stringify(result.data)) }),
    };
  } finally {
    ctx.scope.end();
    jobs.delete(job.id);
  }
}

/** What a running job waits for from the main thread. */
interface Waiting {
  identity?: Deferred<IdentityAnswer>;
  readonly entitlements: Map<string, Deferred<EntitlementsAnswer>>;
}
type IdentityAnswer = Extract<ToWorker, { type: 'identity' }>;
type EntitlementsAnswer = Extract<ToWorker, { type: 'entitlements' }>;
type Deferred<T> = ReturnType<typeof deferred<T>>;

const jobs = new Map<number, { readonly ctx: RequestContext; readonly waiting: Waiting }>();

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'run':
      run(message.job).then(
        // The text's bytes are handed over, not copied (its own ArrayBuffer: TextEncoder allocates one per call).
        (outcome) =>
          port.postMessage(
            { type: 'done', id: message.job.id, outcome, events: takeEvents() } satisfies FromWorker,
            outcome.data ? [outcome.data.buffer as ArrayBuffer] : [],
          ),
        (error: unknown) =>
          send({
            type: 'failed',
            id: message.job.id,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
            events: takeEvents(),
          }),
      );
      break;
    case 'abort':
      jobs.get(message.id)?.ctx.budget.abandon(rebuildError(message.error));
      break;
    case 'identity':
      jobs.get(message.id)?.waiting.identity?.resolve(message);
      break;
    case 'entitlements': {
      const wait = jobs.get(message.id)?.waiting.entitlements.get(message.customerId);
      wait?.resolve(message);
      break;
    }
  }
});

send({ type: 'ready', priority });

import { type Dispatcher, Pool } from 'undici';
import { Abort, type AbortLike } from '../abort.js';
import { BodyTooLarge, readBounded } from '../bounded-body.js';
import type { Clock } from '../clock.js';
import { UpstreamUnavailableError } from '../errors.js';
import { CircuitBreaker, type BreakerOptions, type BreakerTicket } from './breaker.js';

/** How one upstream API is reached. */
export interface UpstreamHttpOptions {
  /** Service name used in errors and logs, e.g. "billing". */
  readonly service: string;
  readonly baseUrl: string;
  /** Whole-call budget: connect, headers and body. */
  readonly timeoutMs: number;
  readonly maxConnections: number;
  /** Responses larger than this are abandoned, never buffered. */
  readonly maxBodyBytes: number;
  /** Extra attempts for idempotent reads after a transport fault, timeout or 5xx (writes: never). */
  readonly readRetries: number;
  /** Base delay before a retry; each wait is jittered to 50-150% of it. */
  readonly retryDelayMs: number;
  /** Circuit breaker tuning (a threshold of 0 means no breaker). */
  readonly breaker: Omit<BreakerOptions, 'now'>;
  /** Call budgets, retry pauses and the breaker run on this clock. */
  readonly clock: Clock;
  /** Told about every failed call, for the log; never reaches a client. */
  readonly onFailure?: (failure: { service: string; operation: string; reason: string }) => void;
  /** Injected by tests: the source of retry jitter. */
  readonly random?: () => number;
  /** Told about every attempt and retry (metrics, traces); absent: nothing is observed. */
  readonly observer?: UpstreamObserver;
}

/**
 * What one GraphQL request gives every upstream call it makes: when to give up, and what to
 * tell the upstream. Passed down explicitly (loaders per request), never held in a global.
 */
export interface CallContext {
  /** Aborted when the GraphQL request is abandoned (deadline, budget): the call stops. */
  readonly signal?: AbortLike;
  /** Extra request headers: the request id, and the client's trace context when not traced here. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The request's trace, opaque to this layer: handed to the observer, which parents spans on it. */
  readonly trace?: unknown;
}

/** How an attempt ended: `ok`, a fault reason, or `status_<code>` for a refusal or error answer. */
export type AttemptOutcome = 'ok' | UpstreamFaultReason | `status_${number}`;

/** One observed attempt: headers to add (trace context), and how to report its end. */
export interface AttemptObservation {
  readonly headers?: Readonly<Record<string, string>>;
  end(outcome: AttemptOutcome): void;
}

/** Watches upstream traffic for metrics and traces, without this layer knowing either. */
export interface UpstreamObserver {
  /** An attempt (a call, or one try of a retried read) starts. */
  attempt(service: string, operation: string, trace: unknown): AttemptObservation;
  /** A read is tried again after a transient failure. */
  retried(service: string): void;
}

/** A non-2xx answer from an upstream, kept server-side: its body never reaches a client. */
export class UpstreamStatusError extends Error {
  constructor(
    readonly service: string,
    readonly status: number,
    /** The upstream's own error code (`{ code }` in its error body), when it sent one. */
    readonly upstreamCode: string | undefined,
  ) {
    super(`${service} answered HTTP ${status}${upstreamCode ? ` (${upstreamCode})` : ''}`);
    this.name = 'UpstreamStatusError';
  }
}

/** Why a call failed without a usable HTTP status; carried as `originalError`, logged, never sent. */
export type UpstreamFaultReason = 'transport' | 'timeout' | 'too_large' | 'malformed' | 'circuit_open' | 'aborted';

/** The server-side cause of an `UpstreamUnavailableError`. */
export class UpstreamFault extends Error {
  constructor(
    readonly service: string,
    readonly reason: UpstreamFaultReason,
    cause?: unknown,
  ) {
    super(`${service}: ${reason}${cause instanceof Error ? ` (${cause.message})` : ''}`, cause === undefined ? undefined : { cause });
    this.name = 'UpstreamFault';
  }
}

/** Counts calls per operation; tests and benchmarks read it to prove batching. */
export interface CallRecorder {
  record(service: string, operation: string): void;
}

/** JSON over HTTP to one upstream, on a keep-alive connection pool, behind a circuit breaker. */
export class UpstreamHttp {
  private readonly pool: Pool;
  /** Null when disabled by configuration. */
  readonly breaker: CircuitBreaker | null;

  constructor(
    private readonly options: UpstreamHttpOptions,
    private readonly recorder?: CallRecorder,
  ) {
    this.pool = new Pool(options.baseUrl, {
      connections: options.maxConnections,
      keepAliveTimeout: 30_000,
      // Backstops only: the call budget itself runs on the injected clock (see `attempt`).
      headersTimeout: options.timeoutMs * 2,
      bodyTimeout: options.timeoutMs * 2,
      connectTimeout: options.timeoutMs * 2,
    });
    this.breaker = options.breaker.failureThreshold > 0 ? new CircuitBreaker({ ...options.breaker, now: () => options.clock.now() }) : null;
  }

  /** Name of the service, for errors. */
  get service(): string {
    return this.options.service;
  }

  /**
   * Sends one request and parses the JSON answer, exactly once (no retry: safe for writes).
   * Non-2xx becomes `UpstreamStatusError`; transport faults, timeouts, oversized or malformed
   * bodies and an open circuit become `UpstreamUnavailableError`. `call.signal` ends the call
   * early when the GraphQL request it serves is abandoned (that never counts against the
   * upstream); `call.headers` go with the request.
   */
  async request<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, call: CallContext = {}): Promise<T> {
    const operation = `${method} ${path}`;
    const { signal } = call;
    const observed = this.options.observer?.attempt(this.service, operation, call.trace);
    const ticket = this.breaker === null ? null : this.breaker.acquire();
    if (this.breaker !== null && ticket === null) {
      // Fail fast: a dead upstream costs no connection, no timeout, no upstream load.
      observed?.end('circuit_open');
      throw this.fail(operation, new UpstreamFault(this.service, 'circuit_open'));
    }
    if (signal?.aborted) {
      ticket?.release();
      observed?.end('aborted');
      throw this.fail(operation, new UpstreamFault(this.service, 'aborted', signal.reason));
    }
    this.recorder?.record(this.options.service, operation);
    try {
      const headers = observed?.headers === undefined ? call.headers : { ...call.headers, ...observed.headers };
      const result = await this.attempt<T>(method, path, body, signal, headers);
      ticket?.success();
      observed?.end('ok');
      return result;
    } catch (error) {
      this.settle(ticket, error);
      observed?.end(
        error instanceof UpstreamFault ? error.reason : error instanceof UpstreamStatusError ? `status_${error.status}` : 'transport',
      );
      throw error instanceof UpstreamFault ? this.fail(operation, error) : this.reportStatus(operation, error);
    }
  }

  /**
   * An idempotent read (batch reads are POSTs that change nothing): like `request`, plus up
   * to `readRetries` more attempts, after a jittered pause, when the failure may be transient.
   */
  async read<T>(path: string, body: unknown, call: CallContext = {}): Promise<T> {
    const retries = this.options.readRetries;
    const { signal } = call;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.request<T>('POST', path, body, call);
      } catch (error) {
        if (attempt >= retries || !isTransient(error) || signal?.aborted) throw error;
        this.options.observer?.retried(this.service);
        const pause = retryDelay(this.options.retryDelayMs, this.options.random ?? Math.random);
        try {
          await this.options.clock.sleep(pause, signal);
        } catch {
          // The request was abandoned during the pause: the failure that caused it stands.
          throw error;
        }
      }
    }
  }

  /** Closes idle connections; in-flight requests finish first. */
  async close(): Promise<void> {
    await this.pool.close();
  }

  private async attempt<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body: unknown,
    abandoned: AbortLike | undefined,
    extraHeaders: Readonly<Record<string, string>> | undefined,
  ): Promise<T> {
    // One signal ends the call for either reason: its own budget ran out (on the injected
    // clock), or the GraphQL request it serves was abandoned.
    const controller = new Abort();
    let timedOut = false;
    const cancelTimer = this.options.clock.schedule(this.options.timeoutMs, () => {
      timedOut = true;
      controller.abort(new Error(`no answer within ${this.options.timeoutMs} ms`));
    });
    const onAbandon = () => controller.abort(abandoned?.reason);
    abandoned?.addEventListener('abort', onAbandon, { once: true });
    const why = () => (timedOut ? 'timeout' : abandoned?.aborted ? 'aborted' : 'transport');
    try {
      let response: Dispatcher.ResponseData;
      try {
        response = await this.pool.request({
          method,
          path,
          // undici only reads `aborted`, `reason` and the abort listener (see src/abort.ts).
          signal: controller as unknown as AbortSignal,
          headers: {
            ...extraHeaders,
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (cause) {
        throw new UpstreamFault(this.service, why(), cause);
      }
      let text: string;
      try {
        text = (
          await readBounded(response.body, this.options.maxBodyBytes, response.headers['content-length'] as string | undefined)
        ).toString('utf8');
      } catch (cause) {
        response.body.destroy();
        throw new UpstreamFault(this.service, cause instanceof BodyTooLarge ? 'too_large' : why(), cause);
      }
      if (response.statusCode < 200 || response.statusCode >= 300) {
        // Redirects are never followed: an upstream pointing elsewhere is misconfigured.
        throw new UpstreamStatusError(this.service, response.statusCode, errorCode(text));
      }
      if (response.statusCode === 204 || text === '') return undefined as T;
      try {
        return JSON.parse(text) as T;
      } catch (cause) {
        throw new UpstreamFault(this.service, 'malformed', cause);
      }
    } finally {
      cancelTimer();
      abandoned?.removeEventListener('abort', onAbandon);
    }
  }

  /** A 4xx is the upstream working as designed; anything else counts against it. */
  private settle(ticket: BreakerTicket | null, error: unknown): void {
    if (ticket === null) return;
    // An abandoned request says nothing about the upstream's health.
    if (error instanceof UpstreamFault && error.reason === 'aborted') ticket.release();
    else if (error instanceof UpstreamStatusError && error.status >= 400 && error.status < 500) ticket.success();
    else ticket.failure();
  }

  private fail(operation: string, fault: UpstreamFault): UpstreamUnavailableError {
    this.options.onFailure?.({ service: this.service, operation, reason: fault.reason });
    return new UpstreamUnavailableError(this.service, { originalError: fault });
  }

  private reportStatus(operation: string, error: unknown): unknown {
    if (error instanceof UpstreamStatusError && (error.status < 400 || error.status >= 500)) {
      this.options.onFailure?.({ service: this.service, operation, reason: `status ${error.status}` });
    }
    return error;
  }
}

/** True for failures a second attempt may cure: transport faults, timeouts, 5xx answers. */
function isTransient(error: unknown): boolean {
  if (error instanceof UpstreamStatusError) return error.status >= 500;
  if (error instanceof UpstreamUnavailableError) {
    const cause = error.originalError;
    return cause instanceof UpstreamFault && (cause.reason === 'transport' || cause.reason === 'timeout');
  }
  return false;
}

/** A retry pause of 50-150% of `baseMs`, so retries from many requests do not align. */
export function retryDelay(baseMs: number, random: () => number): number {
  return Math.round(baseMs * (0.5 + random()));
}

function errorCode(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { code?: unknown };
    return typeof parsed.code === 'string' ? parsed.code : undefined;
  } catch {
    return undefined;
  }
}

/** Paths of an OpenAPI `paths` type that accept POST. */
export type PostPath<Paths> = { [K in keyof Paths]: Paths[K] extends { post: object } ? K : never }[keyof Paths] & string;
/** JSON request body of `POST path`, as the OpenAPI document declares it. */
export type PostBody<Paths, K extends keyof Paths> = Paths[K] extends {
  post: { requestBody?: { content: { 'application/json': infer B } } };
}
  ? B
  : never;
/** JSON body of the 200 answer to `POST path`. */
export type PostOk<Paths, K extends keyof Paths> = Paths[K] extends {
  post: { responses: { 200: { content: { 'application/json': infer R } } } };
}
  ? R
  : never;

/**
 * A batch read: POST with a JSON body, typed by the upstream's OpenAPI paths, retried on a
 * transient failure (it changes nothing upstream). Any upstream refusal is an outage from
 * the client's point of view (reads carry no user input that could be "wrong"), so it
 * never leaks details.
 */
export async function readCall<Paths, K extends PostPath<Paths>>(
  http: UpstreamHttp,
  path: K,
  body: PostBody<Paths, K>,
  call?: CallContext,
): Promise<PostOk<Paths, K>> {
  try {
    return await http.read<PostOk<Paths, K>>(path, body, call);
  } catch (error) {
    if (error instanceof UpstreamStatusError) {
      throw new UpstreamUnavailableError(http.service, { originalError: error });
    }
    throw error;
  }
}

/** `readCall` bound to one upstream and its OpenAPI paths, so call sites name a path once. */
export function readerFor<Paths>(http: UpstreamHttp) {
  return <K extends PostPath<Paths>>(path: K, body: PostBody<Paths, K>, call?: CallContext): Promise<PostOk<Paths, K>> =>
    readCall<Paths, K>(http, path, body, call);
}

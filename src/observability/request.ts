import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Span } from '@opentelemetry/api';
import type { Logger } from '../log.js';
import type { Metrics, RequestOutcome } from './metrics.js';
import { endSpan, passThroughTraceHeaders, SpanKind, type Tracing } from './tracing.js';

/**
 * What one GraphQL request leaves behind for operators: its request id (sent back to the
 * client and on to every upstream call), its trace (when tracing is on), one `http.request`
 * log line and its metrics. Created by the front door before anything else runs, filled in
 * by the layers the request passes through (who the caller is, the operation, the errors),
 * and finished once the response is written.
 */

/** Header carrying the request id, in both directions and upstream. */
export const REQUEST_ID_HEADER = 'x-request-id';

// Accept a caller's id when it looks like an id (UUIDs, ULIDs, load-balancer ids such as
// AWS's "Root=1-..."): printable, no spaces or quotes, bounded; anything else gets a new one, so
// a client cannot write arbitrary text into our logs and upstream requests.
const REQUEST_ID = /^[A-Za-z0-9._:=+/-]{1,128}$/;

/** The caller's request id when acceptable, else a fresh UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}

/** The observability collaborators of one BFF; every one optional (benchmarks and unit tests build without). */
export interface Telemetry {
  readonly metrics?: Metrics;
  readonly tracing?: Tracing;
}

/** One request's telemetry. */
export class RequestTelemetry {
  readonly requestId: string;
  readonly method: string;
  private readonly startedAt = performance.now();
  /** The HTTP server span (tracing on only). */
  readonly span: Span | undefined;
  /** The execute span while the operation runs: the parent of upstream calls and waiting decisions. */
  executeSpan: Span | undefined;
  operationName: string | null = null;
  subject: string | null = null;
  clientId: string | null = null;
  customerId: string | null = null;
  /** Whether the response carried data (unknown for requests refused before execution). */
  hasData = false;
  /** Error codes sent to the client, with counts. */
  readonly errors = new Map<string, number>();
  /** Executed in the execution worker (a large query, src/execution/executor.ts). */
  inWorker = false;
  /** Headers every upstream call of this request carries (request id; trace context when untraced). */
  readonly upstreamHeaders: Readonly<Record<string, string>>;
  private finished = false;

  constructor(
    req: IncomingMessage,
    private readonly telemetry: Telemetry,
    path: string,
  ) {
    this.requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    this.method = req.method ?? 'GET';
    const { tracing } = telemetry;
    this.span = tracing?.startRequest(`${this.method} ${path}`, req.headers, {
      'http.request.method': this.method,
      'url.path': path,
      'bff.request_id': this.requestId,
    });
    // Untraced, the BFF is a transparent hop for the client's trace context (when well-formed);
    // traced, each upstream call carries its own span as parent instead (see `upstreamCall`).
    const passed = tracing === undefined ? passThroughTraceHeaders(req.headers) : null;
    this.upstreamHeaders = { [REQUEST_ID_HEADER]: this.requestId, ...passed };
  }

  /** The trace id of this request, when traced. */
  get traceId(): string | undefined {
    return this.span?.spanContext().traceId;
  }

  /** The span work of this request hangs under now: the execute span while executing, else the request's. */
  get parentSpan(): Span | undefined {
    return this.executeSpan ?? this.span;
  }

  /** Records errors the client receives (`count`: grouped errors stand for several). */
  error(code: string, count = 1): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + count);
  }

  /** Starts a child span of the current parent (null when untraced). */
  child(name: string, kind: SpanKind = SpanKind.INTERNAL, attributes?: Record<string, string | number | boolean>): Span | null {
    const parent = this.parentSpan;
    const tracing = this.telemetry.tracing;
    return parent === undefined || tracing === undefined ? null : tracing.startChild(parent, name, kind, attributes);
  }

  /**
   * An authorization decision that waits for data starts: a span named after the rule, ended
   * with the outcome (never the data the rule read). Null when untraced.
   */
  decision(rule: string, coordinate: string): ((outcome: string) => void) | null {
    const span = this.child(`authz ${rule}`, SpanKind.INTERNAL, { 'authz.rule': rule, 'authz.coordinate': coordinate });
    if (span === null) return null;
    return (outcome) => {
      span.setAttribute('authz.outcome', outcome);
      span.end();
    };
  }

  /** The response is written: the log line, the metrics and the end of the span. Runs once. */
  finish(status: number, log: Logger): void {
    if (this.finished) return;
    this.finished = true;
    const seconds = (performance.now() - this.startedAt) / 1000;
    // Refused by the front door or by Apollo before any error could be recorded (CORS, body
    // size, CSRF, malformed requests): their codes, as the client saw them.
    if (status >= 400 && this.errors.size === 0) this.error(status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST');
    const errorCount = [...this.errors.values()].reduce((sum, n) => sum + n, 0);
    const outcome: RequestOutcome = status >= 400 || (!this.hasData && errorCount > 0) ? 'error' : errorCount > 0 ? 'partial' : 'ok';
    const { metrics } = this.telemetry;
    if (metrics) {
      metrics.request(this.operationName, outcome, seconds);
      for (const [code, count] of this.errors) metrics.error(code, count);
    }
    if (this.span) {
      this.span.setAttribute('http.response.status_code', status);
      if (this.operationName !== null) this.span.setAttribute('graphql.operation.name', this.operationName);
      endSpan(this.span, outcome === 'error' ? [...this.errors.keys()].join(',') || `HTTP ${status}` : undefined);
    }
    // Durations are measured on the process's monotonic clock, not the injected one: they
    // observe real elapsed time and decide nothing.
    log.info('http.request', {
      requestId: this.requestId,
      ...(this.traceId ? { traceId: this.traceId } : {}),
      method: this.method,
      operationName: this.operationName,
      status,
      outcome,
      durationMs: Math.round(seconds * 10_000) / 10,
      subject: this.subject,
      clientId: this.clientId,
      customerId: this.customerId,
      ...(errorCount > 0 ? { errors: Object.fromEntries(this.errors) } : {}),
      ...(this.inWorker ? { executedIn: 'worker' } : {}),
    });
  }
}

// Set by the front door, read by whoever builds the request context: the request object is
// the one thing both hold, and a WeakMap keeps the record exactly as long as the request.
const records = new WeakMap<IncomingMessage, RequestTelemetry>();

/** Attaches `record` to `req` (the front door does, once per GraphQL request). */
export function attachTelemetry(req: IncomingMessage, record: RequestTelemetry): void {
  records.set(req, record);
}

/** The telemetry of `req`, if the front door created one. */
export function telemetryOf(req: IncomingMessage): RequestTelemetry | undefined {
  return records.get(req);
}

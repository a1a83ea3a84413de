/**
 * A deliberately tiny JSON-over-HTTP server for the demo upstreams: a route table, body
 * parsing, request counting and fault injection. The counting and faults exist so tests can
 * prove the BFF batches its upstream calls and survives misbehaving upstreams.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { BodyTooLarge, readBounded } from '../bounded-body.js';
import type { UpstreamError } from '../upstream/types.js';

export type Fault =
  | { kind: 'status'; status: number; times?: number; match?: string }
  | { kind: 'hang'; times?: number; match?: string }
  | { kind: 'malformed'; times?: number; match?: string }
  | { kind: 'huge'; bytes: number; times?: number; match?: string }
  | { kind: 'redirect'; location: string; times?: number; match?: string };

export interface FaultController {
  /** Fixed delay added to every counted request. */
  latencyMs: number;
  set(fault: Fault | null): void;
  readonly current: Fault | null;
}

export interface ServiceStats {
  total: number;
  byOperation: Record<string, number>;
  /** Requests being worked on right now (received, not yet answered, not deliberately hung). */
  readonly working: number;
  /**
   * When each request arrived and was answered (`performance.now()` ms), newest last, at most
   * the last 10,000: tests and benchmarks count sequential round trips from it.
   */
  readonly timeline: readonly TimedCall[];
  /** The last requests' correlation headers, oldest first (tests follow a request id or trace to the upstream). */
  readonly recent: readonly ReceivedCall[];
  reset(): void;
}

/** One request to a demo service: what, when it arrived, when its answer was sent. */
export interface TimedCall {
  readonly service: string;
  readonly operation: string;
  readonly start: number;
  readonly end: number;
}

const TIMELINE_LIMIT = 10_000;

/** One request as an upstream saw it: what was called, and the correlation headers it carried. */
export interface ReceivedCall {
  readonly operation: string;
  readonly requestId: string | undefined;
  readonly traceparent: string | undefined;
  readonly tracestate: string | undefined;
}

// Enough for a test to find its own calls among the last few requests.
const RECENT_CALLS = 200;

export interface DemoService {
  readonly name: string;
  /** Base URL without trailing slash, e.g. http://127.0.0.1:43123 */
  readonly url: string;
  readonly stats: ServiceStats;
  readonly faults: FaultController;
  close(): Promise<void>;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteRequest {
  readonly params: Readonly<Record<string, string>>;
  /** Parsed JSON body; undefined when the request had none. */
  readonly body: unknown;
}

export interface RouteResponse {
  readonly status: number;
  readonly body?: unknown;
}

/** Handlers are synchronous on purpose: check-then-write sequences stay atomic. */
export type RouteHandler = (request: RouteRequest) => RouteResponse;

export interface Route {
  readonly method: HttpMethod;
  /** Path pattern with `{param}` segments, e.g. /licenses/{licenseId}/assignments */
  readonly path: string;
  readonly handler: RouteHandler;
}

export interface ListenOptions {
  host?: string;
  port?: number;
}

export interface JsonServiceOptions extends ListenOptions {
  name: string;
  routes: readonly Route[];
}

/** An error a handler throws to answer with `{code, message}` and the given status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_LIST_LENGTH = 5000;

/** A 400 BAD_REQUEST error. */
export function badRequest(message: string): HttpError {
  return new HttpError(400, 'BAD_REQUEST', message);
}

/** The value as a plain object, or a 400 naming it `what`. */
export function objectBody(body: unknown, what = 'body'): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest(`${what} must be a JSON object`);
  }
  return body as Record<string, unknown>;
}

/** `body[field]` as a de-duplicated list of at most 5000 strings, or a 400. */
export function stringListField(body: unknown, field: string): string[] {
  const value = objectBody(body)[field];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw badRequest(`${field} must be an array of strings`);
  }
  if (value.length > MAX_LIST_LENGTH) {
    throw badRequest(`${field} must not have more than ${MAX_LIST_LENGTH} entries`);
  }
  return [...new Set(value as string[])];
}

interface CompiledRoute {
  readonly route: Route;
  readonly segments: readonly string[];
  readonly operation: string;
}

interface RouteMatch {
  readonly compiled: CompiledRoute;
  readonly params: Record<string, string>;
}

class Stats implements ServiceStats {
  total = 0;
  byOperation: Record<string, number> = {};
  working = 0;
  timeline: TimedCall[] = [];
  recent: ReceivedCall[] = [];

  reset(): void {
    this.total = 0;
    this.byOperation = {};
    this.timeline = [];
    this.recent = [];
  }

  /** Records one answered request (the oldest entries go once the timeline is full). */
  timed(call: TimedCall): void {
    if (this.timeline.length >= TIMELINE_LIMIT) this.timeline.splice(0, this.timeline.length - TIMELINE_LIMIT + 1);
    this.timeline.push(call);
  }

  count(operation: string | undefined, headers: IncomingMessage['headers']): void {
    this.total++;
    if (operation !== undefined) this.byOperation[operation] = (this.byOperation[operation] ?? 0) + 1;
    const header = (name: string) => {
      const value = headers[name];
      return typeof value === 'string' ? value : undefined;
    };
    this.recent.push({
      operation: operation ?? 'unknown',
      requestId: header('x-request-id'),
      traceparent: header('traceparent'),
      tracestate: header('tracestate'),
    });
    if (this.recent.length > RECENT_CALLS) this.recent.shift();
  }
}

class Faults implements FaultController {
  latencyMs = 0;
  #current: Fault | null = null;
  #remaining: number | undefined;

  get current(): Fault | null {
    return this.#current;
  }

  set(fault: Fault | null): void {
    this.#current = fault;
    this.#remaining = fault?.times;
  }

  /** The fault to apply to this request, consuming one of its `times`. */
  take(requestLine: string): Fault | null {
    const fault = this.#current;
    if (!fault || (fault.match !== undefined && !requestLine.includes(fault.match))) return null;
    if (this.#remaining !== undefined) {
      this.#remaining--;
      if (this.#remaining <= 0) this.set(null);
    }
    return fault;
  }
}

/** Starts a JSON service on host:port (port 0 = any free port) serving the given routes. */
export async function startJsonService(options: JsonServiceOptions): Promise<DemoService> {
  const { name, host = '127.0.0.1', port = 0 } = options;
  const routes = options.routes.map(compileRoute);
  const stats = new Stats();
  const faults = new Faults();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        sendJson(res, 500, errorBody('INTERNAL', error instanceof Error ? error.message : String(error)));
      } else {
        res.destroy();
      }
    });
  });
  // Longer than typical client pools' idle timeout, so the client, not us, retires sockets.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Tests that move a manual clock wait until no request is being worked on, so a budget
    // never runs out while an answer is on its way (a hung request no longer counts).
    let working = true;
    stats.working++;
    const idle = () => {
      if (!working) return;
      working = false;
      stats.working--;
    };
    res.once('close', idle);
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const demo = path === '/_demo' || path.startsWith('/_demo/');
    const match = demo ? undefined : matchRoute(routes, method, path);
    if (!demo) {
      stats.count(match?.compiled.operation, req.headers);
      const start = performance.now();
      const operation = match?.compiled.operation ?? `${method} ${path}`;
      res.once('finish', () => stats.timed({ service: name, operation, start, end: performance.now() }));
    }

    let raw: Buffer;
    try {
      raw = await readBounded(req, MAX_BODY_BYTES);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      // Keep draining: answering mid-upload makes clients see a reset instead of the 413.
      req.resume();
      await new Promise((resolve) => req.once('end', resolve).once('close', resolve));
      sendJson(res, 413, errorBody('PAYLOAD_TOO_LARGE', `body exceeds ${MAX_BODY_BYTES} bytes`));
      return;
    }
    let body: unknown;
    try {
      body = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
    } catch {
      sendJson(res, 400, errorBody('INVALID_JSON', 'body is not valid JSON'));
      return;
    }

    if (demo) {
      respond(res, () => handleDemo(method, path, body));
      return;
    }
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (closed) return;
    const fault = faults.take(`${method} ${path}`);
    if (fault) {
      if (fault.kind === 'hang') idle();
      await applyFault(res, fault);
      return;
    }
    if (!match) {
      sendJson(res, 404, errorBody('NOT_FOUND', `no route for ${method} ${path}`));
      return;
    }
    respond(res, () => match.compiled.route.handler({ params: match.params, body }));
  }

  function handleDemo(method: string, path: string, body: unknown): RouteResponse {
    if (method === 'GET' && path === '/_demo/stats') {
      return { status: 200, body: { total: stats.total, byOperation: stats.byOperation } };
    }
    if (method === 'POST' && path === '/_demo/stats/reset') {
      stats.reset();
      return { status: 204 };
    }
    if (method === 'PUT' && path === '/_demo/faults') {
      faults.set(parseFault(body ?? null));
      return { status: 204 };
    }
    throw new HttpError(404, 'NOT_FOUND', `no route for ${method} ${path}`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`${name}: unexpected server address`);
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  return {
    name,
    url,
    stats,
    faults,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Hung and keep-alive connections would otherwise keep close() waiting forever.
        server.closeAllConnections();
      });
    },
  };
}

function compileRoute(route: Route): CompiledRoute {
  return { route, segments: route.path.split('/'), operation: `${route.method} ${route.path}` };
}

function matchRoute(routes: readonly CompiledRoute[], method: string, path: string): RouteMatch | undefined {
  const parts = path.split('/');
  for (const compiled of routes) {
    if (compiled.route.method !== method || compiled.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let matched = true;
    for (let i = 0; i < parts.length && matched; i++) {
      const pattern = compiled.segments[i] ?? '';
      const part = parts[i] ?? '';
      if (pattern.startsWith('{') && pattern.endsWith('}')) {
        const value = safeDecode(part);
        if (value === undefined || value === '') matched = false;
        else params[pattern.slice(1, -1)] = value;
      } else if (pattern !== part) {
        matched = false;
      }
    }
    if (matched) return { compiled, params };
  }
  return undefined;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function respond(res: ServerResponse, run: () => RouteResponse): void {
  let response: RouteResponse;
  try {
    response = run();
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    response = { status: error.status, body: errorBody(error.code, error.message) };
  }
  sendJson(res, response.status, response.body);
}

function errorBody(code: string, message: string): UpstreamError {
  return { code, message };
}

function sendJson(res: ServerResponse, status: number, body?: unknown): void {
  if (res.destroyed) return;
  if (body === undefined || status === 204 || status === 304) {
    res.writeHead(status);
    res.end();
    return;
  }
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

async function applyFault(res: ServerResponse, fault: Fault): Promise<void> {
  switch (fault.kind) {
    case 'status':
      sendJson(res, fault.status, errorBody('INJECTED', `injected fault: status ${fault.status}`));
      return;
    case 'hang':
      // Never answer; close() tears the socket down.
      return;
    case 'malformed':
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end('{"items": [');
      return;
    case 'redirect':
      res.writeHead(302, { location: fault.location, 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(errorBody('INJECTED', `injected fault: redirect to ${fault.location}`)));
      return;
    case 'huge':
      await writeHugeBody(res, fault.bytes);
      return;
  }
}

const HUGE_PREFIX = '{"items":[';
const HUGE_UNIT = '{"id":"huge","padding":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},';
const HUGE_BLOCK = Buffer.from(HUGE_UNIT.repeat(Math.ceil(65_536 / HUGE_UNIT.length)));

/** Streams exactly `bytes` bytes of a never-finished JSON array, chunked, honouring backpressure. */
async function writeHugeBody(res: ServerResponse, bytes: number): Promise<void> {
  // No content-length: the client must enforce its own limit while streaming.
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  let remaining = bytes;
  const prefix = Buffer.from(HUGE_PREFIX).subarray(0, remaining);
  res.write(prefix);
  remaining -= prefix.length;
  while (remaining > 0 && !res.destroyed) {
    const chunk = HUGE_BLOCK.subarray(0, Math.min(remaining, HUGE_BLOCK.length));
    remaining -= chunk.length;
    if (!res.write(chunk)) {
      const open = await new Promise<boolean>((resolve) => {
        const onDrain = (): void => {
          res.off('close', onClose);
          resolve(true);
        };
        const onClose = (): void => {
          res.off('drain', onDrain);
          resolve(false);
        };
        res.once('drain', onDrain);
        res.once('close', onClose);
      });
      if (!open) return;
    }
  }
  res.end();
}

/** Validates a fault sent to PUT /_demo/faults. */
export function parseFault(value: unknown): Fault | null {
  if (value === null) return null;
  const body = objectBody(value);
  const times = body.times;
  const match = body.match;
  if (times !== undefined && !(Number.isInteger(times) && (times as number) >= 1)) {
    throw badRequest('times must be an integer >= 1');
  }
  if (match !== undefined && typeof match !== 'string') throw badRequest('match must be a string');
  const common = {
    ...(times === undefined ? {} : { times: times as number }),
    ...(match === undefined ? {} : { match: match as string }),
  };
  switch (body.kind) {
    case 'status': {
      const status = body.status;
      if (!Number.isInteger(status) || (status as number) < 200 || (status as number) > 599) {
        throw badRequest('status must be an HTTP status code');
      }
      return { kind: 'status', status: status as number, ...common };
    }
    case 'hang':
      return { kind: 'hang', ...common };
    case 'malformed':
      return { kind: 'malformed', ...common };
    case 'huge': {
      const bytes = body.bytes;
      if (!Number.isInteger(bytes) || (bytes as number) < 1) throw badRequest('bytes must be an integer >= 1');
      return { kind: 'huge', bytes: bytes as number, ...common };
    }
    case 'redirect': {
      const location = body.location;
      if (typeof location !== 'string' || location === '') throw badRequest('location must be a non-empty string');
      return { kind: 'redirect', location, ...common };
    }
    default:
      throw badRequest('kind must be one of status, hang, malformed, huge, redirect');
  }
}

import { countSmallRequest } from './limits/budget.js';
import { writeInSlices } from './limits/stringify.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLResponse } from '@apollo/server';
import { BodyTooLarge, readBounded } from './bounded-body.js';
import { RateLimitedLog } from './auth/rejections.js';
import { type Clock, systemClock } from './clock.js';
import type { BffError } from './errors.js';
import { DEFAULT_CORS_HEADERS } from './config.js';
import { type DocumentAdmission, prepareDocumentRequest } from './documents/request.js';
import type { TrustedDocuments } from './documents/trusted.js';
import type { LandingPage } from './landing-page.js';
import type { Logger } from './log.js';
import { attachTelemetry, REQUEST_ID_HEADER, RequestTelemetry, type Telemetry } from './observability/request.js';

/** A route of the front door besides GraphQL and the probes (metrics, notifications); answers whole requests itself. */
export interface HttpRoute {
  readonly path: string;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** How the HTTP front door behaves. */
export interface HttpOptions<C extends BaseContext> {
  readonly apollo: ApolloServer<C>;
  readonly graphqlPath: string;
  readonly bodyLimitBytes: number;
  /** Origins allowed by CORS (normalised, see config.ts); `*` allows any. Empty: same-origin only. */
  readonly corsOrigins: readonly string[];
  /** Request headers cross-origin callers may send (default: `DEFAULT_CORS_HEADERS`). */
  readonly corsAllowedHeaders?: readonly string[];
  /** Builds the request context; `document` says what the request's document is (see src/documents/request.ts). */
  readonly context: (req: IncomingMessage, document: DocumentAdmission) => Promise<C>;
  /**
   * Called with the request's context once its response is built, however the request went:
   * Apollo refuses some requests after their context was built (`variables` that are not an
   * object, a GET with a mutation) without any plugin seeing them, and what the context holds
   * (a caller's concurrency slot) must still be given back. Must be idempotent.
   */
  readonly endContext?: (context: C) => void;
  /** The SPAs' trusted documents: ids in requests are resolved against them before Apollo reads the request. */
  readonly documents?: TrustedDocuments;
  /**
   * A cheap refusal before the body is read or parsed (a caller over its request rate): an
   * error carrying its HTTP status and headers, or null to go on. A flood of refused requests
   * then costs next to nothing, whatever it sends.
   */
  readonly refuseEarly?: (req: IncomingMessage) => EarlyRefusal | null | Promise<EarlyRefusal | null>;
  /** `/readyz`: true while the instance should receive traffic. */
  readonly isReady: () => boolean;
  /** Development only: the explorer page and its offline assets (src/landing-page.ts). */
  readonly landingPage?: LandingPage;
  readonly log: Logger;
  /** Metrics and tracing of GraphQL requests (request ids and the request log line are always on). */
  readonly telemetry?: Telemetry;
  /** More routes, matched on the exact path before GraphQL. */
  readonly routes?: readonly HttpRoute[];
  /** `/readyz` while ready: dependencies that are down but do not stop this instance from serving (e.g. Redis). */
  readonly degraded?: () => readonly string[];
  /** Windows of the rate-limited log lines run on this clock. */
  readonly clock?: Clock;
}

/** A request refused at the front door: the error, and optionally who decides when it is answered. */
export interface EarlyRefusal {
  readonly error: BffError;
  /** Calls `send` now or later (a caller that does not wait as told is answered late, see `RefusalHold`). */
  readonly answer?: (send: () => void) => void;
}

/**
 * The HTTP server: GraphQL at one path, liveness and readiness probes, CORS, a body limit.
 * Written on node:http (no framework) so nothing runs per request that we did not choose.
 * Never listens by itself: callers (main, tests) decide where.
 */
export function createHttpServer<C extends BaseContext>(options: HttpOptions<C>): Server {
  const { apollo, graphqlPath, log } = options;
  const allowedHeaders = (options.corsAllowedHeaders ?? DEFAULT_CORS_HEADERS).join(', ');
  const routes = new Map((options.routes ?? []).map((route) => [route.path, route]));
  const telemetry = options.telemetry ?? {};
  // Keyed by error code (a closed set): one line per code per minute, with how many were held back.
  const refusals = new RateLimitedLog(log, options.clock ?? systemClock, 60_000);
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error('http.unhandled', { error: describe(error) });
      if (!res.headersSent) sendJson(res, 500, graphqlError('Internal server error.', 'INTERNAL_SERVER_ERROR'));
      else res.destroy();
    });
  });
  // Behind a load balancer idle connections must outlive the balancer's own timeout.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = parseUrl(req.url);
    if (url === null) return sendJson(res, 400, graphqlError('Bad request.', 'BAD_REQUEST'));
    if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
    // Not ready: draining, issuer keys never fetched, or every upstream circuit open. Why is
    // in the log, not here: the probe is reachable by anyone who can reach the port.
    if (url.pathname === '/readyz') {
      if (!options.isReady()) return sendJson(res, 503, { status: 'not_ready' });
      // Names of dependencies only (e.g. "redis"): an operator's hint, nothing an attacker learns from.
      const degraded = options.degraded?.() ?? [];
      return sendJson(res, 200, degraded.length === 0 ? { status: 'ready' } : { status: 'ready', degraded });
    }
    const route = routes.get(url.pathname);
    if (route !== undefined) return route.handle(req, res);
    // Before CORS on purpose: the page is for a browser on this machine, never granted to another origin.
    if (options.landingPage !== undefined && (await options.landingPage.handle(req, res, url))) return;
    if (url.pathname !== graphqlPath) return sendJson(res, 404, graphqlError('Not found.', 'BAD_REQUEST'));

    // A caller known to be over its request rate is refused first, before anything else is
    // spent on it (no request id, trace or log line of its own): a flood of such requests costs
    // a counter and at most one log line per minute, whatever it sends.
    if (req.method !== 'OPTIONS' && options.refuseEarly !== undefined) {
      const early = options.refuseEarly(req);
      const refusal = early instanceof Promise ? await early : early;
      if (refusal) {
        const refused = refusal.error;
        req.resume();
        telemetry.metrics?.error(refused.extensions.code as string);
        refusals.write('info', 'http.refused_early', String(refused.extensions.code), {
          code: refused.extensions.code,
          message: refused.message,
        });
        const { http, ...extensions } = refused.extensions as { http?: { status?: number; headers?: Map<string, string> } };
        const send = () =>
          sendJson(
            res,
            http?.status ?? 400,
            { errors: [{ message: refused.message, extensions }] },
            Object.fromEntries(http?.headers ?? []),
          );
        if (refusal.answer) refusal.answer(send);
        else send();
        return;
      }
    }

    // From here on it is a GraphQL request: it has an id (the caller's or a new one), sent back
    // and passed upstream, a trace when tracing is on, and one log line when it ends. CORS
    // preflights are the browser's, not requests of the API: they are not counted.
    if (req.method !== 'OPTIONS') {
      const record = new RequestTelemetry(req, telemetry, graphqlPath);
      attachTelemetry(req, record);
      res.setHeader(REQUEST_ID_HEADER, record.requestId);
      res.once('close', () => record.finish(res.statusCode, log));
    }

    if (!applyCors(req, res, options.corsOrigins, allowedHeaders)) {
      // Debug, not warn: any web page can make a browser send this, so it says nothing about us.
      // It is the line that explains a "Failed to fetch" to someone setting up CORS_ORIGINS.
      log.debug('http.cors_rejected', { origin: req.headers.origin, method: req.method, allowed: options.corsOrigins });
      return sendJson(res, 403, graphqlError('Origin not allowed.', 'BAD_REQUEST'));
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }

    // A large request steps back from this turn on, not only once this one has a context.
    const arrival = countSmallRequest();
    try {
      await serveGraphQL(req, res, url, arrival);
    } finally {
      arrival();
    }
  }

  /** A GraphQL request past the front door's checks: its body, trusted documents, Apollo, the answer. */
  async function serveGraphQL(req: IncomingMessage, res: ServerResponse, url: URL, arrival: () => void): Promise<void> {
    let body: unknown;
    if (req.method === 'POST') {
      let raw: string;
      try {
        raw = (await readBounded(req, options.bodyLimitBytes, req.headers['content-length'])).toString('utf8');
      } catch (error) {
        if (!(error instanceof BodyTooLarge)) throw error;
        // The rest is drained, not buffered, so the client reads a 413 rather than a reset.
        req.resume();
        return sendJson(res, 413, graphqlError('Request body too large.', 'BAD_REQUEST'), { connection: 'close' });
      }
      if (/^application\/(graphql-response\+)?json\b/i.test(req.headers['content-type'] ?? '')) {
        try {
          body = raw.length === 0 ? undefined : JSON.parse(raw);
        } catch {
          return sendJson(res, 400, graphqlError('Request body is not valid JSON.', 'BAD_REQUEST'));
        }
      }
    }

    // Trusted documents: a document id becomes its text here, so Apollo reads an ordinary request.
    let search = url.search;
    let document: DocumentAdmission = { kind: 'none' };
    if (options.documents !== undefined) {
      const prepared = prepareDocumentRequest({ method: req.method ?? 'GET', body, search }, options.documents);
      if ('refused' in prepared) return sendJson(res, 400, graphqlError(prepared.refused, 'BAD_REQUEST'));
      ({ body, search, admission: document } = prepared);
    }

    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    let built: C | undefined;
    let response: HTTPGraphQLResponse;
    try {
      response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search, body },
        context: async () => {
          built = await options.context(req, document);
          // Counted by its budget from here on (see countSmallRequest).
          arrival();
          return built;
        },
      });
    } finally {
      if (built !== undefined) options.endContext?.(built);
    }
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      await writeInSlices(res, response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  return server;
}

/** Sets CORS headers; false when the request comes from an origin that is not allowed. */
function applyCors(req: IncomingMessage, res: ServerResponse, allowed: readonly string[], allowedHeaders: string): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const host = req.headers.host;
  // Same-origin requests (e.g. Apollo Sandbox served from this server) need no CORS grant.
  if (host !== undefined && (origin === `http://${host}` || origin === `https://${host}`)) return true;
  if (!allowed.includes('*') && !allowed.includes(origin)) return false;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('vary', 'Origin');
  res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
  res.setHeader('access-control-allow-headers', allowedHeaders);
  // So an SPA can show the id a support request should quote.
  res.setHeader('access-control-expose-headers', REQUEST_ID_HEADER);
  res.setHeader('access-control-max-age', '600');
  return true;
}

/** The request target as a URL; null for targets that do not parse (never a 500). */
function parseUrl(target: string | undefined): URL | null {
  try {
    return new URL(target ?? '/', 'http://localhost');
  } catch {
    return null;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
}

function graphqlError(message: string, code: string) {
  return { errors: [{ message, extensions: { code } }] };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

import { type RunningApp, type StartOptions, startApp } from '../../src/app.js';
import type { KeyStatus, TokenCacheStats, TokenVerifier } from '../../src/auth/verifier.js';
import { type Clock, ManualClock, systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createDevIssuer, type DevIssuer, type SignOptions } from '../../src/demo/dev-issuer.js';
import type { PersonaName } from '../../src/demo/personas.js';
import { type DemoServices, startDemoServices } from '../../src/demo/services.js';
import type { DemoWorld } from '../../src/demo/world.js';
import { createLogger } from '../../src/log.js';
import type { Bff } from '../../src/server.js';
import type { Upstreams } from '../../src/upstream/index.js';

/**
 * A complete BFF for tests, started exactly as `npm start` starts it (`startApp` on a
 * configuration parsed from environment variables), pointed at a fresh development issuer
 * (its own key, JWKS over HTTP) and the demo upstreams on port 0, as an operator would point
 * it at real ones. Tokens are really signed; requests go over real HTTP.
 */
export interface TestStack {
  readonly url: string;
  readonly app: RunningApp;
  readonly bff: Bff;
  readonly issuer: DevIssuer;
  /** Where the issuer's keys are served. */
  readonly jwksUrl: string;
  readonly demo: DemoServices;
  readonly world: DemoWorld;
  readonly clock: Clock;
  /** Structured log lines the server wrote (parsed JSON). */
  readonly logs: Record<string, unknown>[];
  /** Raw log text, to assert that secrets never appear. */
  readonly rawLogs: () => string;
  /** The verifier and upstreams the server uses (hostile tests inspect key and circuit state). */
  readonly verifier: TokenVerifier & KeyStatus & TokenCacheStats;
  readonly upstreams: Upstreams;
  token(persona: PersonaName, options?: SignOptions): Promise<string>;
  /** Moves the stack's `ManualClock` until `pending` settles, never while an upstream is answering. */
  settle<T>(pending: Promise<T>, stepMs?: number): Promise<T>;
  /** POSTs a GraphQL request; `token: null` sends none. */
  gql<T = GqlData>(
    query: string,
    options?: { token?: string | null; persona?: PersonaName; variables?: Record<string, unknown>; headers?: Record<string, string> },
  ): Promise<GqlResult<T>>;
  stop(): Promise<void>;
}

export type GqlData = Record<string, any>;

export interface GqlError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

export interface GqlResult<T> {
  status: number;
  headers: Headers;
  data: T | null | undefined;
  errors: GqlError[] | undefined;
  text: string;
}

export interface StackOptions {
  /** Configuration as environment variables, applied over the stack's defaults (see below). */
  env?: Record<string, string>;
  /** Demo world size (`DEMO_SCALE` of the demo upstreams) or a world to serve. */
  scale?: number;
  world?: DemoWorld;
  /** Latency the demo upstreams add to every call. */
  latencyMs?: number;
  /** The clock the BFF runs on (a `ManualClock` to move time by hand). */
  clock?: Clock;
  /** Serve the issuer's keys from another URL (a test key server). */
  jwksUrl?: string;
  /** Wraps the upstream clients the server uses (e.g. to inject foreign records). */
  wrapUpstreams?: StartOptions['wrapUpstreams'];
  /** Source of retry jitter. */
  random?: () => number;
  /** Another instance of the same deployment: its issuer and demo upstreams are used (and left running on stop). */
  sameDeploymentAs?: TestStack;
  /** Turns tracing on with this exporter (an in-memory one). */
  spanExporter?: StartOptions['spanExporter'];
}

// Tests see each fault in isolation unless they ask for retries or breakers.
const STACK_DEFAULTS: Record<string, string> = {
  LOG_LEVEL: 'debug',
  HOST: '127.0.0.1',
  PORT: '0',
  UPSTREAM_READ_RETRIES: '0',
  UPSTREAM_BREAKER_FAILURE_THRESHOLD: '0',
  UPSTREAM_MAX_CONNECTIONS: '16',
  AUTH_TOKEN_CACHE_SIZE: '1000',
  AUTH_JWKS_TIMEOUT_MS: '2000',
  CORS_ORIGINS: 'https://portal.example.com',
  // Suites send many requests as one persona; the fair-share bounds have their own tests.
  RATE_LIMIT_CALLER_CONCURRENCY: '1000',
  RATE_LIMIT_CUSTOMER_CONCURRENCY: '1000',
  RATE_LIMIT_CALLER_PER_SECOND: '10000',
  RATE_LIMIT_CALLER_BURST: '10000',
  // Refusals answered at once unless a test turns the hold on (it runs on the injected clock).
  RATE_LIMIT_REFUSAL_HOLD_MS: '0',
  RATE_LIMIT_CALLER_OBJECTS_PER_SECOND: '100000000',
  RATE_LIMIT_CALLER_OBJECTS_BURST: '1000000000',
  RATE_LIMIT_CUSTOMER_OBJECTS_PER_SECOND: '100000000',
  RATE_LIMIT_CUSTOMER_OBJECTS_BURST: '1000000000',
  // The demo world's support console, as an operator would list their own.
  AUTH_SUPPORT_CLIENT_IDS: 'support-console',
};

/**
 * Production mode as an operator runs it (no landing page, no introspection, every issuer
 * and upstream configured, nothing trusted by default), minus the shutdown pause so a test
 * stack stops at once.
 */
export const PRODUCTION: Readonly<Record<string, string>> = {
  NODE_ENV: 'production',
  SHUTDOWN_DELAY_MS: '0',
  // Tests send their own documents; trusted documents have tests of their own.
  ALLOW_FREE_FORM_DOCUMENTS: 'true',
};

/** Starts everything on ephemeral ports; call `stop()` in afterAll. */
export async function startStack(options: StackOptions = {}): Promise<TestStack> {
  const shared = options.sameDeploymentAs;
  const issuer = shared?.issuer ?? (await createDevIssuer({ keyFile: null }));
  const issuerJwks = shared?.jwksUrl ?? (await issuer.listen(0));
  const demo =
    shared?.demo ??
    (await startDemoServices({
      ...(options.world ? { world: options.world } : { scale: options.scale ?? 1 }),
      latencyMs: options.latencyMs ?? 0,
    }));
  // A shared issuer and upstreams belong to the first instance: it stops them.
  const closeOwn = async () => {
    if (shared !== undefined) return;
    await demo.close();
    await issuer.close();
  };
  let raw = '';
  const logs: Record<string, unknown>[] = [];
  const log = createLogger('debug', (line) => {
    raw += line;
    logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  const config = loadConfig({
    ...STACK_DEFAULTS,
    AUTH_ISSUER: issuer.issuer,
    AUTH_AUDIENCE: issuer.audience,
    AUTH_JWKS_URL: options.jwksUrl ?? issuerJwks,
    CUSTOMERS_API_URL: demo.urls.customers,
    BILLING_API_URL: demo.urls.billing,
    LICENSES_API_URL: demo.urls.licenses,
    ...options.env,
  });
  const clock = options.clock ?? systemClock;
  let app: RunningApp;
  try {
    app = await startApp(config, {
      log,
      clock,
      ...(options.wrapUpstreams ? { wrapUpstreams: options.wrapUpstreams } : {}),
      ...(options.random ? { random: options.random } : {}),
      ...(options.spanExporter ? { spanExporter: options.spanExporter } : {}),
    });
  } catch (error) {
    await closeOwn();
    throw error;
  }
  const url = app.url;

  return {
    url,
    app,
    bff: app.bff,
    issuer,
    jwksUrl: issuerJwks,
    demo,
    world: demo.world,
    clock,
    verifier: app.verifier,
    upstreams: app.upstreams,
    logs,
    rawLogs: () => raw,
    token: (persona, signOptions) => issuer.signPersona(persona, signOptions),
    settle: (pending, stepMs) => {
      if (!(clock instanceof ManualClock)) throw new Error('settle() needs a stack started with a ManualClock');
      return advanceUntilSettled(clock, pending, stepMs, () => demo.working() === 0);
    },
    async gql(query, { token, persona, variables, headers = {} } = {}) {
      const bearer = token !== undefined ? token : await issuer.signPersona(persona ?? 'alice');
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }), ...headers },
        body: JSON.stringify({ query, variables }),
      });
      const text = await response.text();
      let parsed: { data?: any; errors?: GqlError[] } = {};
      try {
        parsed = JSON.parse(text);
      } catch {
        // Non-JSON answers are asserted through `text`.
      }
      return { status: response.status, headers: response.headers, data: parsed.data, errors: parsed.errors, text };
    },
    async stop() {
      await app.stop();
      await closeOwn();
    },
  };
}

/**
 * Moves a manual clock forward in small steps until `pending` settles, yielding to I/O between
 * steps, and only while `idle()` says no upstream is working on an answer: time passes for
 * what waits (pauses, budgets of hung calls), never for an answer that is on its way, so a
 * slow machine cannot make a budget run out. Resolves to what `pending` resolved to.
 */
export async function advanceUntilSettled<T>(
  clock: { advance(ms: number): void },
  pending: Promise<T>,
  stepMs = 10,
  idle: () => boolean = () => true,
): Promise<T> {
  let settled = false;
  const watched = pending.finally(() => {
    settled = true;
  });
  while (!settled) {
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (!settled && idle()) clock.advance(stepMs);
  }
  return watched;
}

/** The error at a response path such as `customer.billingAccount`, if any. */
export function errorAt(result: GqlResult<unknown>, path: string): GqlError | undefined {
  return result.errors?.find((error) => (error.path ?? []).join('.') === path);
}

/** The distinct codes of a response's errors. */
export function codes(result: GqlResult<unknown>): string[] {
  return [...new Set((result.errors ?? []).map((error) => String(error.extensions?.code)))];
}

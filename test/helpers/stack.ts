import {
  createTokenVerifier,
  verifierOptionsFrom,
  type KeyStatus,
  type TokenVerifier,
  type VerifierOptions,
} from '../../src/auth/verifier.js';
import { loadConfig } from '../../src/config.js';
import { createDevIssuer, type DevIssuer, type SignOptions } from '../../src/demo/dev-issuer.js';
import type { PersonaName } from '../../src/demo/personas.js';
import { startDemoServices, type DemoServices } from '../../src/demo/services.js';
import type { DemoWorld } from '../../src/demo/world.js';
import type { QueryLimits } from '../../src/limits.js';
import { createLogger } from '../../src/log.js';
import { createBff, type Bff } from '../../src/server.js';
import { createUpstreams, type ResilienceOptions, type Upstreams } from '../../src/upstream/index.js';

/**
 * A complete BFF for tests: a fresh development issuer (its own key, JWKS over HTTP), the
 * demo upstreams on port 0, and the real server on port 0. Tokens are really signed.
 */
export interface TestStack {
  readonly url: string;
  readonly bff: Bff;
  readonly issuer: DevIssuer;
  readonly demo: DemoServices;
  readonly world: DemoWorld;
  /** Structured log lines the server wrote (parsed JSON). */
  readonly logs: Record<string, unknown>[];
  /** Raw log text, to assert that secrets never appear. */
  readonly rawLogs: () => string;
  /** The verifier and upstreams the server uses (hostile tests inspect key and circuit state). */
  readonly verifier: TokenVerifier & KeyStatus;
  readonly upstreams: Upstreams;
  token(persona: PersonaName, options?: SignOptions): Promise<string>;
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
  scale?: number;
  latencyMs?: number;
  world?: DemoWorld;
  maxPageSize?: number;
  production?: boolean;
  now?: () => number;
  tokenCacheSize?: number;
  /** Overrides of the verifier's options (e.g. another JWKS URL, `requireAtJwt`). */
  verifier?: Partial<VerifierOptions>;
  /** Fetch the issuer's keys before listening (default true), as the app does. */
  prefetchKeys?: boolean;
  /** Per-call upstream budget (default 5000 ms). */
  upstreamTimeoutMs?: number;
  /** Retries, breakers and body limits of the upstreams (default: none, 16 MiB). */
  resilience?: Partial<ResilienceOptions>;
  /** Replaces some upstream base URLs (e.g. a fake billing service). */
  upstreamUrls?: Partial<DemoServices['urls']>;
  /** Wraps the upstream clients the server uses (e.g. to inject foreign records). */
  wrapUpstreams?: (upstreams: Upstreams) => Upstreams;
  queryLimits?: QueryLimits;
  bodyLimitBytes?: number;
  corsOrigins?: string[];
}

/** Starts everything on ephemeral ports; call `stop()` in afterAll. */
export async function startStack(options: StackOptions = {}): Promise<TestStack> {
  const issuer = await createDevIssuer({ keyFile: null });
  const jwksUrl = await issuer.listen(0);
  const demo = await startDemoServices({
    ...(options.world ? { world: options.world } : { scale: options.scale ?? 1 }),
    latencyMs: options.latencyMs ?? 0,
  });
  let raw = '';
  const logs: Record<string, unknown>[] = [];
  const log = createLogger('debug', (line) => {
    raw += line;
    logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  const realUpstreams = createUpstreams({
    urls: { ...demo.urls, ...options.upstreamUrls },
    timeoutMs: options.upstreamTimeoutMs ?? 5000,
    maxConnections: 16,
    ...(options.resilience ? { resilience: options.resilience } : {}),
    log,
  });
  const upstreams = options.wrapUpstreams ? options.wrapUpstreams(realUpstreams) : realUpstreams;
  const verifier = createTokenVerifier({
    // The product's defaults, as an empty environment configures them.
    ...verifierOptionsFrom(loadConfig({}).auth, { issuer: issuer.issuer, audience: issuer.audience, jwksUrl }),
    cacheSize: options.tokenCacheSize ?? 1000,
    jwksTimeoutMs: 2000,
    log,
    ...options.verifier,
  });
  if (options.prefetchKeys ?? true) await verifier.prefetch();
  const bff = createBff({
    config: {
      production: options.production ?? false,
      graphqlPath: '/graphql',
      corsOrigins: options.corsOrigins ?? ['https://portal.example.com'],
      maxPageSize: options.maxPageSize ?? 100,
      bodyLimitBytes: options.bodyLimitBytes ?? 100 * 1024,
      ...(options.queryLimits ? { queryLimits: options.queryLimits } : {}),
    },
    readiness: () => verifier.ready() && (upstreams.available?.() ?? true),
    verifier,
    upstreams,
    log,
    sandboxToken: await issuer.signPersona('alice', { ttlSeconds: 3600 }),
    ...(options.now ? { now: options.now } : {}),
  });
  const url = await bff.listen(0);

  const stack: TestStack = {
    url,
    bff,
    issuer,
    demo,
    world: demo.world,
    verifier,
    upstreams,
    logs,
    rawLogs: () => raw,
    token: (persona, signOptions) => issuer.signPersona(persona, signOptions),
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
      await bff.stop();
      await realUpstreams.close();
      await demo.close();
      await issuer.close();
    },
  };
  return stack;
}

/** The error at a response path such as `customer.billingAccount`, if any. */
export function errorAt(result: GqlResult<unknown>, path: string): GqlError | undefined {
  return result.errors?.find((error) => (error.path ?? []).join('.') === path);
}

/** The distinct codes of a response's errors. */
export function codes(result: GqlResult<unknown>): string[] {
  return [...new Set((result.errors ?? []).map((error) => String(error.extensions?.code)))];
}

import { z } from 'zod';

/**
 * The one place that reads `process.env`. Every variable is validated at start-up and every
 * problem is reported at once, so an operator fixes a deployment in one round trip. Each
 * default lives here, once, in `ENV`; the nested configuration the rest of the code reads is
 * built by `toConfig` and its type is inferred from it.
 */

const JWS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, 'must be an integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const url = z
  .string()
  .trim()
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'must be an http(s) URL');

const redisUrl = z
  .string()
  .trim()
  .refine((value) => URL.canParse(value) && /^rediss?:$/.test(new URL(value).protocol), 'must be a redis:// or rediss:// URL');

/** A decimal fraction between 0 and 1 (a sampling ratio). */
const ratio = z
  .string()
  .trim()
  .regex(/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/, 'must be a number from 0 to 1')
  .transform(Number);

const list = z.string().transform((value) => value.split(/[\s,]+/).filter(Boolean));

/** A JSON value in a variable; a parse failure is one clear problem, not a stack. */
const json = z.string().transform((value, ctx) => {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be valid JSON' });
    return z.NEVER;
  }
});

/** One trusted token issuer: whose tokens, for which audiences, keys from where (discovered when absent). */
const issuerEntry = z
  .object({
    issuer: z.string().trim().min(1),
    audiences: z.array(z.string().trim().min(1)).min(1, 'needs at least one audience'),
    jwksUrl: url.optional(),
  })
  .strict();

/** Where a deployment reads API permissions from (OIDC scopes never count). */
export const PERMISSION_SOURCES = ['permissions', 'scope', 'scp'] as const;
/**
 * An origin as a browser sends it in `Origin`: scheme, host and port, nothing else. A trailing
 * slash (as copied from an address bar) is normalised away, as are the case of the host and a
 * default port; a path, query, fragment or credentials are refused, since no browser would ever
 * send them and the entry could never match.
 */
function toOrigin(value: string): string | null {
  if (!URL.canParse(value)) return null;
  const url = new URL(value);
  if (!/^https?:$/.test(url.protocol) || url.username || url.password || url.pathname !== '/' || url.search || url.hash) return null;
  if (!/^https?:\/\/[^/?#]+\/?$/i.test(value)) return null;
  return url.origin;
}

const origins = list.transform((values, context) =>
  values.flatMap((value) => {
    if (value === '*') return [value];
    const origin = toOrigin(value);
    if (origin === null) {
      context.addIssue({
        code: 'custom',
        message: `${JSON.stringify(value)} is not an origin: write scheme://host[:port], e.g. https://portal.example.com`,
      });
      return [];
    }
    return [origin];
  }),
);

// RFC 9110 field-name (token); compared lower-case, as browsers send them in preflights.
const headerNames = list
  .pipe(z.array(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be HTTP header names')))
  .transform((names) => names.map((name) => name.toLowerCase()));

/**
 * Request headers browsers may send cross-origin: GraphQL over HTTP, Apollo Client's CSRF and
 * client-awareness headers, W3C trace context and baggage, and Sentry's trace header.
 */
export const DEFAULT_CORS_HEADERS = [
  'authorization',
  'content-type',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'apollographql-client-name',
  'apollographql-client-version',
  'traceparent',
  'tracestate',
  'baggage',
  'sentry-trace',
  'x-request-id',
];

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** Every environment variable, with its default. `.env.example` documents each one (a test checks it). */
export const ENV = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().trim().min(1).optional(),
  PORT: int(0, 65535).default(4000),
  GRAPHQL_PATH: z
    .string()
    .regex(/^\/[\w\-/]*$/, 'must be a path starting with /')
    .default('/graphql'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  SHUTDOWN_DELAY_MS: int(0, 60_000).optional(),

  AUTH_ISSUER: z.string().trim().min(1).optional(),
  AUTH_AUDIENCE: list.pipe(z.array(z.string()).min(1)).optional(),
  AUTH_JWKS_URL: url.optional(),
  AUTH_ISSUERS: json.pipe(z.array(issuerEntry).min(1, 'must list at least one issuer')).optional(),
  AUTH_ALGORITHMS: list.pipe(z.array(z.enum(JWS_ALGORITHMS)).min(1)).default(['RS256']),
  AUTH_CLOCK_TOLERANCE_SECONDS: int(0, 300).default(5),
  AUTH_REQUIRE_AT_JWT: bool.default(false),
  AUTH_USER_ID_CLAIM: z.string().trim().min(1).default('https://bff.example.com/user_id'),
  AUTH_CUSTOMER_ID_CLAIM: z.string().trim().min(1).default('https://bff.example.com/customer_id'),
  AUTH_PERMISSION_SOURCES: list.pipe(z.array(z.enum(PERMISSION_SOURCES)).min(1)).default(['permissions']),
  AUTH_SUPPORT_CLIENT_IDS: list.optional(),
  AUTH_MACHINE_SUPPORT_CLIENT_IDS: list.default([]),
  AUTH_ORGANIZATIONS: bool.default(true),
  AUTH_ORGANIZATION_CLAIM: z.string().trim().min(1).default('org_id'),
  AUTH_REJECTION_LOG_WINDOW_SECONDS: int(1, 86_400).default(60),
  AUTH_TOKEN_CACHE_SIZE: int(0, 1_000_000).default(10_000),
  AUTH_TOKEN_CACHE_TTL_SECONDS: int(0, 3600).default(60),
  AUTH_JWKS_COOLDOWN_SECONDS: int(0, 3600).default(30),
  AUTH_JWKS_TIMEOUT_MS: int(100, 60_000).default(5000),
  AUTH_JWKS_CACHE_MAX_AGE_SECONDS: int(10, 86_400).default(600),

  CUSTOMERS_API_URL: url.optional(),
  BILLING_API_URL: url.optional(),
  LICENSES_API_URL: url.optional(),
  UPSTREAM_TIMEOUT_MS: int(50, 120_000).default(5000),
  UPSTREAM_MAX_CONNECTIONS: int(1, 10_000).default(64),
  CUSTOMERS_API_TIMEOUT_MS: int(50, 120_000).optional(),
  BILLING_API_TIMEOUT_MS: int(50, 120_000).optional(),
  LICENSES_API_TIMEOUT_MS: int(50, 120_000).optional(),
  UPSTREAM_MAX_BODY_BYTES: int(1024, 256 * 1024 * 1024).default(16 * 1024 * 1024),
  UPSTREAM_READ_RETRIES: int(0, 3).default(1),
  UPSTREAM_RETRY_DELAY_MS: int(0, 10_000).default(100),
  UPSTREAM_BREAKER_FAILURE_THRESHOLD: int(0, 10_000).default(5),
  UPSTREAM_BREAKER_WINDOW_MS: int(100, 600_000).default(10_000),
  UPSTREAM_BREAKER_RESET_MS: int(100, 600_000).default(5000),

  MAX_PAGE_SIZE: int(1, 500).default(100),
  BODY_LIMIT_BYTES: int(1024, 50 * 1024 * 1024).default(100 * 1024),
  CORS_ORIGINS: origins.default([]),
  CORS_ALLOWED_HEADERS: headerNames.default(DEFAULT_CORS_HEADERS),
  GRAPHQL_MAX_DEPTH: int(1, 100).default(10),
  GRAPHQL_MAX_ALIASES: int(0, 1000).default(15),
  GRAPHQL_MAX_DIRECTIVES: int(0, 1000).default(20),
  GRAPHQL_MAX_TOKENS: int(50, 100_000).default(1000),
  // Recommended: 3.5x (cost) and 3.3x (objects) the largest operation the SPAs send, the
  // customer-admin portal page (cost 33,893; 61,249 objects with the schema's list sizes).
  // The reported attack (nested users under 6 aliases) estimates at 753 million objects.
  GRAPHQL_MAX_COST: int(10, 100_000_000).default(120_000),
  GRAPHQL_MAX_OBJECTS: int(10, 100_000_000).default(200_000),
  // While a request runs: list items its response may hold, and how long it may take.
  EXECUTION_MAX_LIST_ITEMS: int(100, 10_000_000).default(20_000),
  REQUEST_TIMEOUT_MS: int(100, 600_000).default(15_000),
  // Large queries (estimated at 20,000 objects or more) execute in a worker thread with a heap
  // of its own, so building one does not pause every other request (src/execution/executor.ts).
  EXECUTION_WORKER: bool.default(true),
  // How many nice values below the main thread the worker runs (Linux): on a busy machine the
  // kernel gives a core to everyone's small requests before a large query. 0: the same priority.
  EXECUTION_WORKER_NICE: int(0, 19).default(10),
  // Fair sharing: concurrent requests per caller (token subject) and per customer, and a
  // token bucket per caller (sustained requests per second, and the burst it may save up).
  RATE_LIMIT_CALLER_CONCURRENCY: int(1, 10_000).default(8),
  RATE_LIMIT_CUSTOMER_CONCURRENCY: int(1, 100_000).default(32),
  RATE_LIMIT_CALLER_PER_SECOND: int(1, 100_000).default(20),
  RATE_LIMIT_CALLER_BURST: int(1, 100_000).default(60),
  RATE_LIMIT_REFUSAL_HOLD_MS: int(0, 10_000).default(1000),
  // Fair sharing of work, not just of requests: every request spends its estimated objects
  // from its caller's and its customer's buckets. The burst must hold the largest operation
  // allowed (GRAPHQL_MAX_OBJECTS); the rate is what one caller may keep asking for per second.
  RATE_LIMIT_CALLER_OBJECTS_PER_SECOND: int(1, 100_000_000).default(50_000),
  RATE_LIMIT_CALLER_OBJECTS_BURST: int(1, 1_000_000_000).default(200_000),
  RATE_LIMIT_CUSTOMER_OBJECTS_PER_SECOND: int(1, 100_000_000).default(200_000),
  RATE_LIMIT_CUSTOMER_OBJECTS_BURST: int(1, 1_000_000_000).default(800_000),

  // Cross-request cache of the upstream records authorization reads (the caller's user, their
  // customer's licenses). 0 = off: every request reads the backend.
  IDENTITY_CACHE_TTL_SECONDS: int(0, 3600).default(0),
  IDENTITY_CACHE_MAX_ENTRIES: int(1, 10_000_000).default(10_000),

  // Shared state for a fleet of instances: fair-share limits and the cross-request cache.
  REDIS_URL: redisUrl.optional(),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[\w:.-]{1,64}$/, 'must be 1-64 letters, digits or : . _ -')
    .default('bff:'),
  REDIS_COMMAND_TIMEOUT_MS: int(10, 10_000).default(250),
  REDIS_LIMITS_ON_ERROR: z.enum(['local', 'open', 'closed']).default('local'),

  // Observability: traces (off unless an endpoint is set), metrics (where, and who may read them).
  TRACING_OTLP_URL: url.optional(),
  TRACING_SAMPLE_RATIO: ratio.default(1),
  TRACING_SERVICE_NAME: z.string().trim().min(1).default('shielded-bff'),
  METRICS_PORT: int(1, 65535).optional(),
  METRICS_TOKEN: z.string().trim().min(16, 'must be at least 16 characters').optional(),

  // Signed notifications from the license service (POST /notifications/license-changed).
  LICENSE_NOTIFICATION_SECRET: z.string().trim().min(32, 'must be at least 32 characters').optional(),
  LICENSE_NOTIFICATION_TOLERANCE_SECONDS: int(1, 3600).default(300),

  TRUSTED_DOCUMENTS: list.default([]),
  ALLOW_FREE_FORM_DOCUMENTS: bool.optional(),
  FREE_FORM_DOCUMENTS_PERMISSION: z.string().trim().min(1).optional(),

  DEMO_SCALE: int(1, 1000).default(1),
  DEMO_LATENCY_MS: int(0, 10_000).default(0),
  DEMO_ISSUER_WITH_REAL_UPSTREAMS: bool.default(false),
});

/** The environment after validation, before it is shaped. */
type Env = z.output<typeof ENV>;

/** The validated, nested configuration every module reads (type inferred from `toConfig`). */
export type Config = ReturnType<typeof toConfig>;
/** Token verification settings, including where the issuer is (`mode: 'demo'`: the built-in dev issuer). */
export type AuthConfig = Config['auth'];
/** Where the upstream APIs are and how patient to be with them (`mode: 'demo'`: built-in services). */
export type UpstreamConfig = Config['upstream'];
/** Query-shape limits enforced before execution. */
export type QueryLimits = Config['queryLimits'];
/** How verified claims become permissions and business identity hints. */
export type ClaimPolicy = AuthConfig['claims'];

// The demo world's support console (`dave`'s client in src/demo/personas.ts): with the demo
// issuer, and only there, it is the client trusted with support:read unless configured.
const DEMO_SUPPORT_CLIENT_IDS = ['support-console'];

// The shape the code reads. Groups follow the modules that use them, so each takes its own
// group whole (`createUpstreams(config.upstream)`) instead of reshaping it again.
function toConfig(env: Env) {
  const production = env.NODE_ENV === 'production';
  const issuers = configuredIssuers(env);
  const issuer = issuers.length > 0 ? ({ mode: 'remote', issuers } as const) : ({ mode: 'demo' } as const);
  const urls =
    env.CUSTOMERS_API_URL !== undefined && env.BILLING_API_URL !== undefined && env.LICENSES_API_URL !== undefined
      ? ({
          mode: 'remote',
          urls: {
            customers: trimSlash(env.CUSTOMERS_API_URL),
            billing: trimSlash(env.BILLING_API_URL),
            licenses: trimSlash(env.LICENSES_API_URL),
          },
        } as const)
      : ({ mode: 'demo', scale: env.DEMO_SCALE, latencyMs: env.DEMO_LATENCY_MS } as const);
  return {
    env: env.NODE_ENV,
    production,
    host: env.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
    port: env.PORT,
    graphqlPath: env.GRAPHQL_PATH,
    logLevel: env.LOG_LEVEL,
    /** On SIGTERM: how long readiness reads false before draining starts (load balancers notice). */
    shutdownDelayMs: env.SHUTDOWN_DELAY_MS ?? (production ? 5000 : 0),
    auth: {
      ...issuer,
      algorithms: env.AUTH_ALGORITHMS,
      clockToleranceSeconds: env.AUTH_CLOCK_TOLERANCE_SECONDS,
      requireAtJwt: env.AUTH_REQUIRE_AT_JWT,
      claims: {
        /** Token claims that carry API permissions; OIDC scopes (openid, profile, ...) never count. */
        permissionSources: env.AUTH_PERMISSION_SOURCES,
        /** Clients (`azp`/`client_id`) whose user tokens may carry cross-tenant permissions (support:read). */
        supportClientIds: env.AUTH_SUPPORT_CLIENT_IDS ?? (issuer.mode === 'demo' ? DEMO_SUPPORT_CLIENT_IDS : []),
        /** Clients whose machine-to-machine tokens may carry cross-tenant permissions. */
        machineSupportClientIds: env.AUTH_MACHINE_SUPPORT_CLIENT_IDS,
        userIdClaim: env.AUTH_USER_ID_CLAIM,
        customerIdClaim: env.AUTH_CUSTOMER_ID_CLAIM,
        /** Map the organization claim to a customer (through the customer API); false: ignore it. */
        organizations: env.AUTH_ORGANIZATIONS,
        organizationClaim: env.AUTH_ORGANIZATION_CLAIM,
      },
      /** One `auth.rejected` line per reason per window; repeats are counted, not written. */
      rejectionLogWindowSeconds: env.AUTH_REJECTION_LOG_WINDOW_SECONDS,
      tokenCacheSize: env.AUTH_TOKEN_CACHE_SIZE,
      tokenCacheTtlSeconds: env.AUTH_TOKEN_CACHE_TTL_SECONDS,
      jwksCooldownSeconds: env.AUTH_JWKS_COOLDOWN_SECONDS,
      jwksTimeoutMs: env.AUTH_JWKS_TIMEOUT_MS,
      jwksCacheMaxAgeSeconds: env.AUTH_JWKS_CACHE_MAX_AGE_SECONDS,
    },
    upstream: {
      ...urls,
      /** Per-call budget of each upstream (`*_API_TIMEOUT_MS`, else `UPSTREAM_TIMEOUT_MS`). */
      timeoutsMs: {
        customers: env.CUSTOMERS_API_TIMEOUT_MS ?? env.UPSTREAM_TIMEOUT_MS,
        billing: env.BILLING_API_TIMEOUT_MS ?? env.UPSTREAM_TIMEOUT_MS,
        licenses: env.LICENSES_API_TIMEOUT_MS ?? env.UPSTREAM_TIMEOUT_MS,
      },
      maxConnections: env.UPSTREAM_MAX_CONNECTIONS,
      maxBodyBytes: env.UPSTREAM_MAX_BODY_BYTES,
      readRetries: env.UPSTREAM_READ_RETRIES,
      retryDelayMs: env.UPSTREAM_RETRY_DELAY_MS,
      breaker: {
        failureThreshold: env.UPSTREAM_BREAKER_FAILURE_THRESHOLD,
        windowMs: env.UPSTREAM_BREAKER_WINDOW_MS,
        resetMs: env.UPSTREAM_BREAKER_RESET_MS,
      },
    },
    maxPageSize: env.MAX_PAGE_SIZE,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    corsOrigins: env.CORS_ORIGINS,
    /** Request headers a cross-origin SPA may send (the preflight's allow list). */
    corsAllowedHeaders: env.CORS_ALLOWED_HEADERS,
    /** Persisted-document manifests of the SPAs, and who may send anything else (src/documents/). */
    trustedDocuments: {
      manifests: env.TRUSTED_DOCUMENTS,
      allowFreeForm: env.ALLOW_FREE_FORM_DOCUMENTS ?? !production,
      freeFormPermission: env.FREE_FORM_DOCUMENTS_PERMISSION ?? null,
    },
    queryLimits: {
      /** Deepest selection nesting. */
      maxDepth: env.GRAPHQL_MAX_DEPTH,
      /** Aliased fields in one operation. */
      maxAliases: env.GRAPHQL_MAX_ALIASES,
      /** Directives in one operation. */
      maxDirectives: env.GRAPHQL_MAX_DIRECTIVES,
      /** Lexical tokens in one document. */
      maxTokens: env.GRAPHQL_MAX_TOKENS,
      /** Weighted cost estimate (src/limits/cost.ts), after variables are coerced. */
      maxCost: env.GRAPHQL_MAX_COST,
      /** Estimated field values the response can hold. */
      maxObjects: env.GRAPHQL_MAX_OBJECTS,
    },
    execution: {
      maxListItems: env.EXECUTION_MAX_LIST_ITEMS,
      timeoutMs: env.REQUEST_TIMEOUT_MS,
    },
    /** Large queries execute in a worker thread (src/execution/executor.ts). */
    executionWorker: env.EXECUTION_WORKER,
    /** Nice values the worker runs below the main thread (src/execution/priority.ts). */
    executionWorkerNice: env.EXECUTION_WORKER_NICE,
    identityCache: {
      /** How long cached records are served; 0 disables the cache. */
      ttlMs: env.IDENTITY_CACHE_TTL_SECONDS * 1000,
      maxEntries: env.IDENTITY_CACHE_MAX_ENTRIES,
    },
    redis:
      env.REDIS_URL === undefined
        ? null
        : {
            url: env.REDIS_URL,
            keyPrefix: env.REDIS_KEY_PREFIX,
            commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
            /** What fair-share limits do while Redis does not answer: per instance, none, or refuse. */
            limitsOnError: env.REDIS_LIMITS_ON_ERROR,
            /**
             * How long a concurrency slot lives in Redis unless released: past any request's
             * deadline, so an instance that crashed holding slots gives them back on its own.
             */
            slotTtlMs: env.REQUEST_TIMEOUT_MS * 2,
          },
    tracing: {
      otlpUrl: env.TRACING_OTLP_URL ?? null,
      sampleRatio: env.TRACING_SAMPLE_RATIO,
      serviceName: env.TRACING_SERVICE_NAME,
    },
    metrics: {
      /** A listener of its own for /metrics; null: served on the main port (see `token`). */
      port: env.METRICS_PORT ?? null,
      /** Bearer token /metrics requires; null: open outside production, not served on the main port in production. */
      token: env.METRICS_TOKEN ?? null,
    },
    licenseNotifications:
      env.LICENSE_NOTIFICATION_SECRET === undefined
        ? null
        : { secret: env.LICENSE_NOTIFICATION_SECRET, toleranceMs: env.LICENSE_NOTIFICATION_TOLERANCE_SECONDS * 1000 },
    fairShare: {
      callerConcurrency: env.RATE_LIMIT_CALLER_CONCURRENCY,
      customerConcurrency: env.RATE_LIMIT_CUSTOMER_CONCURRENCY,
      callerPerSecond: env.RATE_LIMIT_CALLER_PER_SECOND,
      callerBurst: env.RATE_LIMIT_CALLER_BURST,
      refusalHoldMs: env.RATE_LIMIT_REFUSAL_HOLD_MS,
      callerObjectsPerSecond: env.RATE_LIMIT_CALLER_OBJECTS_PER_SECOND,
      callerObjectsBurst: env.RATE_LIMIT_CALLER_OBJECTS_BURST,
      customerObjectsPerSecond: env.RATE_LIMIT_CUSTOMER_OBJECTS_PER_SECOND,
      customerObjectsBurst: env.RATE_LIMIT_CUSTOMER_OBJECTS_BURST,
    },
  };
}

const JSON_VARIABLES = new Set(['AUTH_ISSUERS']);
// Never echoed in a configuration error: they are credentials (a Redis URL may carry a password).
const SECRET_VARIABLES = new Set(['METRICS_TOKEN', 'LICENSE_NOTIFICATION_SECRET', 'REDIS_URL']);

/** Thrown with every configuration problem found, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses and validates the environment; throws a `ConfigError` listing every problem. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, as in most .env tooling.
  const raw = Object.fromEntries(
    Object.keys(ENV.shape).flatMap((key) => {
      const value = source[key];
      return value === undefined || value.trim() === '' ? [] : [[key, value]];
    }),
  );
  const parsed = ENV.safeParse(raw);
  const problems: string[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        const [variable, ...inside] = issue.path;
        const key = String(variable ?? '');
        // Inside a JSON variable, name the entry and field (AUTH_ISSUERS[0].jwksUrl), not the whole value.
        const where = JSON_VARIABLES.has(key)
          ? inside.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('')
          : '';
        const shown = source[key] === undefined || where !== '' || SECRET_VARIABLES.has(key) ? '' : ` (got ${JSON.stringify(source[key])})`;
        return `${key}${where}: ${issue.message}${shown}`;
      });
  // Cross-variable rules are checked on presence, so they are reported with the rest.
  const production = (raw.NODE_ENV ?? 'development') === 'production';
  problems.push(
    ...issuerProblems(raw, production),
    ...allOrNone(
      raw,
      ['CUSTOMERS_API_URL', 'BILLING_API_URL', 'LICENSES_API_URL'],
      production,
      'demo services never start there',
      'the demo services',
    ),
    ...claimProblems(raw),
    ...demoIssuerProblems(raw, production),
  );
  if (raw.METRICS_PORT !== undefined && raw.METRICS_PORT.trim() === (raw.PORT ?? '4000').trim()) {
    problems.push('METRICS_PORT: must differ from PORT (metrics get a listener of their own)');
  }
  // Production refuses free-form documents by default; with no manifest either, nothing could run.
  const freeForm = raw.ALLOW_FREE_FORM_DOCUMENTS === undefined ? !production : ['true', '1', 'yes'].includes(raw.ALLOW_FREE_FORM_DOCUMENTS);
  if (!freeForm && raw.TRUSTED_DOCUMENTS === undefined && raw.FREE_FORM_DOCUMENTS_PERMISSION === undefined) {
    problems.push(
      `TRUSTED_DOCUMENTS: required ${production ? 'in production, where' : 'when'} free-form documents are refused (list the SPAs' persisted-documents manifests; or set ALLOW_FREE_FORM_DOCUMENTS=true, or FREE_FORM_DOCUMENTS_PERMISSION for some callers)`,
    );
  }
  // A bucket smaller than the largest operation allowed would refuse that operation forever.
  if (parsed.success) {
    const env = parsed.data;
    for (const name of ['RATE_LIMIT_CALLER_OBJECTS_BURST', 'RATE_LIMIT_CUSTOMER_OBJECTS_BURST'] as const) {
      if (env[name] < env.GRAPHQL_MAX_OBJECTS) {
        problems.push(
          `${name}: must be at least GRAPHQL_MAX_OBJECTS (${env.GRAPHQL_MAX_OBJECTS}), or the largest operation allowed could never run (got ${env[name]})`,
        );
      }
    }
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  return toConfig(parsed.data);
}

/** The default of every variable as `.env.example` writes it (empty: unset, or derived from others). */
export function documentedDefaults(): Record<string, string> {
  const defaults: Record<string, string> = {};
  for (const [key, schema] of Object.entries(ENV.shape)) {
    const parsed = (schema as z.ZodType).safeParse(undefined);
    const value: unknown = parsed.success ? parsed.data : undefined;
    defaults[key] = value === undefined ? '' : Array.isArray(value) ? value.join(',') : String(value);
  }
  return defaults;
}

/** Variables that only make sense together: all set, or (outside production) none. */
function allOrNone(
  raw: Record<string, string>,
  keys: readonly string[],
  production: boolean,
  productionWhy: string,
  fallback: string,
): string[] {
  const missing = keys.filter((key) => raw[key] === undefined);
  if (missing.length === 0 || (!production && missing.length === keys.length)) return [];
  const why = production ? `required in production (${productionWhy})` : `set ${keys.join(', ')} together, or none for ${fallback}`;
  return missing.map((key) => `${key}: ${why}`);
}

/** The issuers as configured: the one-issuer shorthand first, then `AUTH_ISSUERS`. */
function configuredIssuers(env: Env) {
  const shorthand =
    env.AUTH_ISSUER !== undefined && env.AUTH_AUDIENCE !== undefined
      ? [{ issuer: env.AUTH_ISSUER, audiences: env.AUTH_AUDIENCE, jwksUrl: env.AUTH_JWKS_URL ?? null }]
      : [];
  const listed = (env.AUTH_ISSUERS ?? []).map((entry) => ({
    issuer: entry.issuer,
    audiences: entry.audiences,
    jwksUrl: entry.jwksUrl ?? null,
  }));
  return [...shorthand, ...listed];
}

/**
 * Issuers: the shorthand's variables go together, each issuer string is a URL (https in
 * production) exactly as tokens carry it in `iss`, no issuer is configured twice, and
 * production has at least one (the demo issuer is never used there).
 */
function issuerProblems(raw: Record<string, string>, production: boolean): string[] {
  const problems: string[] = [];
  const has = (key: string) => raw[key] !== undefined;
  if (has('AUTH_ISSUER') !== has('AUTH_AUDIENCE')) {
    problems.push(`${has('AUTH_ISSUER') ? 'AUTH_AUDIENCE' : 'AUTH_ISSUER'}: set AUTH_ISSUER and AUTH_AUDIENCE together`);
  }
  if (has('AUTH_JWKS_URL') && !has('AUTH_ISSUER')) problems.push('AUTH_JWKS_URL: belongs to AUTH_ISSUER, which is not set');
  if (production && !has('AUTH_ISSUERS') && !has('AUTH_ISSUER') && !has('AUTH_AUDIENCE')) {
    const why = 'required in production (the demo issuer is never used there); or list issuers in AUTH_ISSUERS';
    problems.push(`AUTH_ISSUER: ${why}`, `AUTH_AUDIENCE: ${why}`);
  }
  const listed = ENV.shape.AUTH_ISSUERS.safeParse(raw.AUTH_ISSUERS);
  const issuers: [string, string][] = [
    ...(has('AUTH_ISSUER') ? [['AUTH_ISSUER', raw.AUTH_ISSUER!.trim()] as [string, string]] : []),
    ...(listed.success ? (listed.data ?? []).map((entry, i): [string, string] => [`AUTH_ISSUERS[${i}].issuer`, entry.issuer]) : []),
  ];
  const seen = new Map<string, string>();
  for (const [where, issuer] of issuers) {
    const problem = issuerUrlProblem(issuer, production);
    if (problem !== null) problems.push(`${where}: ${problem} (got ${JSON.stringify(issuer)})`);
    // With or without its trailing slash an issuer is the same one (see src/auth/issuers.ts).
    const key = issuer.replace(/\/+$/, '');
    const first = seen.get(key);
    if (first !== undefined) problems.push(`${where}: the same issuer as ${first}; configure each issuer once`);
    else seen.set(key, where);
  }
  return problems;
}

/** Why an issuer string cannot be an issuer identifier, or null. */
function issuerUrlProblem(issuer: string, production: boolean): string | null {
  const example = 'e.g. https://YOUR_TENANT.eu.auth0.com/';
  if (!URL.canParse(issuer)) return `must be the issuer URL exactly as tokens carry it in "iss", ${example}`;
  const parsed = new URL(issuer);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return `must be an https URL, ${example}`;
  if (production && parsed.protocol !== 'https:') return 'must be an https URL in production';
  if (parsed.search !== '' || parsed.hash !== '' || parsed.username !== '' || parsed.password !== '')
    return 'must not carry a query, fragment or credentials';
  return null;
}

// Registered and provider-reserved claims: a business-identity claim with one of these names
// would read something the issuer means otherwise.
const RESERVED_CLAIMS = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'azp',
  'client_id',
  'scope',
  'scp',
  'permissions',
  'gty',
]);

/** Identity claims must be distinct, not reserved, and never the organization claim. */
function claimProblems(raw: Record<string, string>): string[] {
  const problems: string[] = [];
  if (raw.AUTH_USER_ID_CLAIM !== undefined && raw.AUTH_USER_ID_CLAIM.trim() === raw.AUTH_CUSTOMER_ID_CLAIM?.trim()) {
    problems.push('AUTH_CUSTOMER_ID_CLAIM: must differ from AUTH_USER_ID_CLAIM (a user id is not a customer id)');
  }
  const organizationClaim = raw.AUTH_ORGANIZATION_CLAIM?.trim() ?? 'org_id';
  for (const key of ['AUTH_USER_ID_CLAIM', 'AUTH_CUSTOMER_ID_CLAIM']) {
    const claim = raw[key]?.trim();
    if (claim === undefined) continue;
    if (claim === organizationClaim || claim === 'org_id') {
      problems.push(
        `${key}: "${claim}" is an Auth0 Organization id, not a business id; organizations are mapped to customers through the customer API (AUTH_ORGANIZATIONS=true, AUTH_ORGANIZATION_CLAIM)`,
      );
    } else if (RESERVED_CLAIMS.has(claim)) {
      problems.push(
        `${key}: "${claim}" is a registered claim; use a namespaced claim set by your Action, e.g. https://your-company.com/user_id`,
      );
    }
  }
  return problems;
}

/**
 * Real upstreams guarded by the demo issuer need an explicit opt-in: its signing key sits in
 * the repository's .dev/ folder, so anyone with a checkout could mint tokens for real data.
 */
function demoIssuerProblems(raw: Record<string, string>, production: boolean): string[] {
  const optIn = raw.DEMO_ISSUER_WITH_REAL_UPSTREAMS !== undefined && ['true', '1', 'yes'].includes(raw.DEMO_ISSUER_WITH_REAL_UPSTREAMS);
  if (production) return optIn ? ['DEMO_ISSUER_WITH_REAL_UPSTREAMS: never allowed in production (the demo issuer never runs there)'] : [];
  const demoIssuer = raw.AUTH_ISSUER === undefined && raw.AUTH_ISSUERS === undefined;
  // Partial upstream configuration is reported on its own (allOrNone).
  const realUpstreams = ['CUSTOMERS_API_URL', 'BILLING_API_URL', 'LICENSES_API_URL'].every((key) => raw[key] !== undefined);
  if (!demoIssuer || !realUpstreams || optIn) return [];
  return [
    'DEMO_ISSUER_WITH_REAL_UPSTREAMS: the *_API_URLs point at real services but no issuer is configured, so the demo issuer (whose key anyone with this checkout can use) would guard real data; configure AUTH_ISSUER and AUTH_AUDIENCE, or set DEMO_ISSUER_WITH_REAL_UPSTREAMS=true to accept that on a development machine',
  ];
}

function trimSlash(value: string): string {
  return value.replace(/\/+$/, '');
}

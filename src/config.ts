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

const list = z.string().transform((value) => value.split(/[\s,]+/).filter(Boolean));

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
  AUTH_AUDIENCE: z.string().trim().min(1).optional(),
  AUTH_JWKS_URL: url.optional(),
  AUTH_ALGORITHMS: list.pipe(z.array(z.enum(JWS_ALGORITHMS)).min(1)).default(['RS256']),
  AUTH_CLOCK_TOLERANCE_SECONDS: int(0, 300).default(5),
  AUTH_REQUIRE_AT_JWT: bool.default(false),
  AUTH_USER_ID_CLAIM: z.string().trim().min(1).default('https://bff.example.com/user_id'),
  AUTH_CUSTOMER_ID_CLAIM: z.string().trim().min(1).default('https://bff.example.com/customer_id'),
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
  GRAPHQL_MAX_COST: int(10, 10_000_000).default(20_000),

  TRUSTED_DOCUMENTS: list.default([]),
  ALLOW_FREE_FORM_DOCUMENTS: bool.optional(),
  FREE_FORM_DOCUMENTS_PERMISSION: z.string().trim().min(1).optional(),

  DEMO_SCALE: int(1, 1000).default(1),
  DEMO_LATENCY_MS: int(0, 10_000).default(0),
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

// The shape the code reads. Groups follow the modules that use them, so each takes its own
// group whole (`createUpstreams(config.upstream)`) instead of reshaping it again.
function toConfig(env: Env) {
  const production = env.NODE_ENV === 'production';
  const issuer =
    env.AUTH_ISSUER !== undefined && env.AUTH_AUDIENCE !== undefined && env.AUTH_JWKS_URL !== undefined
      ? ({ mode: 'remote', issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE, jwksUrl: env.AUTH_JWKS_URL } as const)
      : ({ mode: 'demo' } as const);
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
      userIdClaim: env.AUTH_USER_ID_CLAIM,
      customerIdClaim: env.AUTH_CUSTOMER_ID_CLAIM,
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
      /** graphql-armor's cost estimate. */
      maxCost: env.GRAPHQL_MAX_COST,
    },
  };
}

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
        const key = String(issue.path[0] ?? '');
        const shown = source[key] === undefined ? '' : ` (got ${JSON.stringify(source[key])})`;
        return `${key}: ${issue.message}${shown}`;
      });
  // Cross-variable rules are checked on presence, so they are reported with the rest.
  const production = (raw.NODE_ENV ?? 'development') === 'production';
  problems.push(
    ...allOrNone(
      raw,
      ['AUTH_ISSUER', 'AUTH_AUDIENCE', 'AUTH_JWKS_URL'],
      production,
      'the demo issuer is never used there',
      'the demo issuer',
    ),
    ...allOrNone(
      raw,
      ['CUSTOMERS_API_URL', 'BILLING_API_URL', 'LICENSES_API_URL'],
      production,
      'demo services never start there',
      'the demo services',
    ),
  );
  // Production refuses free-form documents by default; with no manifest either, nothing could run.
  const freeForm = raw.ALLOW_FREE_FORM_DOCUMENTS === undefined ? !production : ['true', '1', 'yes'].includes(raw.ALLOW_FREE_FORM_DOCUMENTS);
  if (!freeForm && raw.TRUSTED_DOCUMENTS === undefined && raw.FREE_FORM_DOCUMENTS_PERMISSION === undefined) {
    problems.push(
      `TRUSTED_DOCUMENTS: required ${production ? 'in production, where' : 'when'} free-form documents are refused (list the SPAs' persisted-documents manifests; or set ALLOW_FREE_FORM_DOCUMENTS=true, or FREE_FORM_DOCUMENTS_PERMISSION for some callers)`,
    );
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

function trimSlash(value: string): string {
  return value.replace(/\/+$/, '');
}

/**
 * Limits are configuration: each has a safe default documented in .env.example, and an
 * unsafe or malformed value stops the process at start-up with every problem listed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../../src/config.js';
import { DEFAULT_QUERY_LIMITS } from '../../src/limits.js';

const EXAMPLE = readFileSync(fileURLToPath(new URL('../../.env.example', import.meta.url)), 'utf8');
const documented = new Map([...EXAMPLE.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));

test('every hardening limit is documented in .env.example with the default the code uses', () => {
  const config = loadConfig({});
  const expected: Record<string, string | number> = {
    GRAPHQL_MAX_DEPTH: config.queryLimits.maxDepth,
    GRAPHQL_MAX_ALIASES: config.queryLimits.maxAliases,
    GRAPHQL_MAX_DIRECTIVES: config.queryLimits.maxDirectives,
    GRAPHQL_MAX_TOKENS: config.queryLimits.maxTokens,
    GRAPHQL_MAX_COST: config.queryLimits.maxCost,
    UPSTREAM_MAX_BODY_BYTES: config.upstream.maxBodyBytes,
    UPSTREAM_READ_RETRIES: config.upstream.readRetries,
    UPSTREAM_RETRY_DELAY_MS: config.upstream.retryDelayMs,
    UPSTREAM_BREAKER_FAILURE_THRESHOLD: config.upstream.breaker.failureThreshold,
    UPSTREAM_BREAKER_WINDOW_MS: config.upstream.breaker.windowMs,
    UPSTREAM_BREAKER_RESET_MS: config.upstream.breaker.resetMs,
    AUTH_JWKS_CACHE_MAX_AGE_SECONDS: config.auth.jwksCacheMaxAgeSeconds,
    AUTH_JWKS_COOLDOWN_SECONDS: config.auth.jwksCooldownSeconds,
    AUTH_JWKS_TIMEOUT_MS: config.auth.jwksTimeoutMs,
    BODY_LIMIT_BYTES: config.bodyLimitBytes,
    MAX_PAGE_SIZE: config.maxPageSize,
    UPSTREAM_TIMEOUT_MS: config.upstream.timeoutMs,
  };
  for (const [name, value] of Object.entries(expected)) expect([name, documented.get(name)]).toEqual([name, String(value)]);
  // Empty in the example means "derived": per-upstream timeouts fall back to UPSTREAM_TIMEOUT_MS.
  for (const name of ['CUSTOMERS_API_TIMEOUT_MS', 'BILLING_API_TIMEOUT_MS', 'LICENSES_API_TIMEOUT_MS', 'SHUTDOWN_DELAY_MS'])
    expect(documented.get(name)).toBe('');
  expect(config.upstream.timeoutsMs).toEqual({ customers: 5000, billing: 5000, licenses: 5000 });
  expect(config.queryLimits).toEqual(DEFAULT_QUERY_LIMITS);
  expect(
    loadConfig({
      NODE_ENV: 'production',
      AUTH_ISSUER: 'https://i/',
      AUTH_AUDIENCE: 'a',
      AUTH_JWKS_URL: 'https://i/jwks',
      CUSTOMERS_API_URL: 'http://c',
      BILLING_API_URL: 'http://b',
      LICENSES_API_URL: 'http://l',
    }).shutdownDelayMs,
  ).toBe(5000);
});

test('malformed or unsafe limit values are refused at start-up, all listed at once', () => {
  let error: unknown;
  try {
    loadConfig({
      GRAPHQL_MAX_DEPTH: '0',
      GRAPHQL_MAX_TOKENS: 'lots',
      UPSTREAM_READ_RETRIES: '10',
      UPSTREAM_BREAKER_RESET_MS: '-1',
      BILLING_API_TIMEOUT_MS: '10',
      AUTH_ALGORITHMS: 'RS256,HS256',
    });
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const problems = (error as ConfigError).problems.join('\n');
  for (const name of [
    'GRAPHQL_MAX_DEPTH',
    'GRAPHQL_MAX_TOKENS',
    'UPSTREAM_READ_RETRIES',
    'UPSTREAM_BREAKER_RESET_MS',
    'BILLING_API_TIMEOUT_MS',
    'AUTH_ALGORITHMS',
  ]) {
    expect(problems).toContain(name);
  }
});

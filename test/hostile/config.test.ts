/**
 * Limits are configuration: each has a safe default documented in .env.example, and an
 * unsafe or malformed value stops the process at start-up with every problem listed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, documentedDefaults, loadConfig } from '../../src/config.js';

const EXAMPLE = readFileSync(fileURLToPath(new URL('../../.env.example', import.meta.url)), 'utf8');
const documented = new Map([...EXAMPLE.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));

test('every variable is documented in .env.example with the default the code uses, and nothing else is', () => {
  const defaults = documentedDefaults();
  for (const [name, value] of Object.entries(defaults)) expect([name, documented.get(name)]).toEqual([name, value]);
  expect([...documented.keys()].filter((name) => !(name in defaults))).toEqual([]);
  // Empty in the example means "derived": per-upstream timeouts fall back to UPSTREAM_TIMEOUT_MS,
  // the shutdown delay depends on NODE_ENV.
  const config = loadConfig({});
  expect(config.upstream.timeoutsMs).toEqual({ customers: 5000, billing: 5000, licenses: 5000 });
  expect(config.shutdownDelayMs).toBe(0);
  expect(
    loadConfig({
      NODE_ENV: 'production',
      ALLOW_FREE_FORM_DOCUMENTS: 'true',
      AUTH_ISSUER: 'https://i/',
      AUTH_AUDIENCE: 'a',
      AUTH_JWKS_URL: 'https://i/jwks',
      CUSTOMERS_API_URL: 'http://c',
      BILLING_API_URL: 'http://b',
      LICENSES_API_URL: 'http://l',
      TRUSTED_DOCUMENTS: 'manifests/portal.json',
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

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../../../src/config.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

test('defaults: the demo world on 127.0.0.1:4000/graphql', () => {
  const config = loadConfig({});
  expect(config).toMatchObject({
    port: 4000,
    host: '127.0.0.1',
    graphqlPath: '/graphql',
    production: false,
    auth: { mode: 'demo' },
    upstream: { mode: 'demo', scale: 1 },
  });
});

test('every problem is listed at once, each naming its variable and the bad value', () => {
  const found = problems({
    PORT: 'eighty',
    AUTH_ALGORITHMS: 'RS256,HS256',
    UPSTREAM_TIMEOUT_MS: '-5',
    LOG_LEVEL: 'loud',
    CUSTOMERS_API_URL: 'ftp://x',
  });
  expect(found).toHaveLength(7);
  expect(found.find((p) => p.startsWith('PORT:'))).toContain('"eighty"');
  expect(found.some((p) => p.startsWith('AUTH_ALGORITHMS:'))).toBe(true);
  expect(found.some((p) => p.startsWith('UPSTREAM_TIMEOUT_MS:'))).toBe(true);
  expect(found.some((p) => p.startsWith('LOG_LEVEL:'))).toBe(true);
  expect(found.some((p) => p.startsWith('CUSTOMERS_API_URL:'))).toBe(true);
  // Partial upstream configuration is refused instead of silently mixing demo and real.
  expect(found.some((p) => p.startsWith('BILLING_API_URL:'))).toBe(true);
});

test('production refuses to start without issuer, audience and upstreams: never the demo issuer', () => {
  const found = problems({ NODE_ENV: 'production' });
  expect(found.map((p) => p.split(':')[0])).toEqual([
    'AUTH_ISSUER',
    'AUTH_AUDIENCE',
    'CUSTOMERS_API_URL',
    'BILLING_API_URL',
    'LICENSES_API_URL',
    'TRUSTED_DOCUMENTS',
  ]);
  expect(found[0]).toMatch(/demo issuer is never used/);
});

test('a complete production configuration', () => {
  const config = loadConfig({
    NODE_ENV: 'production',
    AUTH_ISSUER: 'https://tenant.eu.auth0.com/',
    AUTH_AUDIENCE: 'https://api.example.com',
    AUTH_JWKS_URL: 'https://tenant.eu.auth0.com/.well-known/jwks.json',
    CUSTOMERS_API_URL: 'https://customers.internal/',
    BILLING_API_URL: 'https://billing.internal',
    LICENSES_API_URL: 'https://licenses.internal',
    TRUSTED_DOCUMENTS: 'manifests/portal.json, manifests/support.json',
  });
  expect(config.host).toBe('0.0.0.0');
  expect(config.trustedDocuments).toEqual({
    manifests: ['manifests/portal.json', 'manifests/support.json'],
    allowFreeForm: false,
    freeFormPermission: null,
  });
  expect(config.auth).toMatchObject({
    mode: 'remote',
    issuers: [
      {
        issuer: 'https://tenant.eu.auth0.com/',
        audiences: ['https://api.example.com'],
        jwksUrl: 'https://tenant.eu.auth0.com/.well-known/jwks.json',
      },
    ],
  });
  expect(config.upstream).toMatchObject({ mode: 'remote', urls: { customers: 'https://customers.internal' } });
});

test('a malformed environment variable stops the process with a message naming it', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, PORT: 'not-a-port', DEMO_SCALE: '0' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(run.status).toBe(1);
  expect(run.stderr).toContain('PORT: must be an integer (got "not-a-port")');
  expect(run.stderr).toContain('DEMO_SCALE:');
  expect(run.stdout).toBe('');
});

describe('CORS settings', () => {
  test('origins are normalised to what browsers send: trailing slash, case and default ports', () => {
    const config = loadConfig({ CORS_ORIGINS: 'https://Portal.Example.com/, http://localhost:5173, https://app.example.com:443, *' });
    expect(config.corsOrigins).toEqual(['https://portal.example.com', 'http://localhost:5173', 'https://app.example.com', '*']);
  });

  test('anything that is not an origin stops start-up, each entry named', () => {
    const found = problems({
      CORS_ORIGINS: 'https://portal.example.com/app,portal.example.com,ftp://files.example.com,https://ok.example.com',
    });
    expect(found).toHaveLength(3);
    for (const bad of ['https://portal.example.com/app', 'portal.example.com', 'ftp://files.example.com']) {
      expect(found.some((p) => p.startsWith('CORS_ORIGINS:') && p.includes(`"${bad}" is not an origin`))).toBe(true);
    }
  });

  test('allowed headers default to Apollo Client, trace context, baggage and Sentry; a configured list replaces them', () => {
    expect(loadConfig({}).corsAllowedHeaders).toEqual(
      expect.arrayContaining([
        'apollographql-client-name',
        'apollographql-client-version',
        'traceparent',
        'tracestate',
        'baggage',
        'sentry-trace',
      ]),
    );
    expect(loadConfig({ CORS_ALLOWED_HEADERS: 'Authorization,Content-Type' }).corsAllowedHeaders).toEqual([
      'authorization',
      'content-type',
    ]);
    expect(problems({ CORS_ALLOWED_HEADERS: 'authorization,bad header:' })[0]).toMatch(/^CORS_ALLOWED_HEADERS:/);
  });
});

describe('trusted documents settings', () => {
  const PRODUCTION = {
    NODE_ENV: 'production',
    AUTH_ISSUER: 'https://tenant.eu.auth0.com/',
    AUTH_AUDIENCE: 'https://api.example.com',
    AUTH_JWKS_URL: 'https://tenant.eu.auth0.com/.well-known/jwks.json',
    CUSTOMERS_API_URL: 'https://customers.internal',
    BILLING_API_URL: 'https://billing.internal',
    LICENSES_API_URL: 'https://licenses.internal',
  };

  test('free-form documents are accepted outside production and refused in production by default', () => {
    expect(loadConfig({}).trustedDocuments).toEqual({ manifests: [], allowFreeForm: true, freeFormPermission: null });
    expect(problems(PRODUCTION)).toEqual([expect.stringMatching(/^TRUSTED_DOCUMENTS: required in production/)]);
  });

  test('production runs with manifests, with free-form documents allowed, or with a permission for some callers', () => {
    expect(loadConfig({ ...PRODUCTION, ALLOW_FREE_FORM_DOCUMENTS: 'true' }).trustedDocuments.allowFreeForm).toBe(true);
    expect(loadConfig({ ...PRODUCTION, FREE_FORM_DOCUMENTS_PERMISSION: 'debug:graphql' }).trustedDocuments).toEqual({
      manifests: [],
      allowFreeForm: false,
      freeFormPermission: 'debug:graphql',
    });
    expect(problems({ ALLOW_FREE_FORM_DOCUMENTS: 'false' })).toEqual([expect.stringMatching(/^TRUSTED_DOCUMENTS: required when/)]);
  });
});

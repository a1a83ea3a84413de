/**
 * The two-command experience: the app started from an empty configuration runs the demo
 * world, `npm run -s token -- <persona>` prints a token (and nothing else) that this app
 * accepts, and the landing page is served pre-filled with a working token (details in
 * landing-page.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startApp, type RunningApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { organizationIdOf } from '../../src/demo/world.js';
import { createLogger } from '../../src/log.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let app: RunningApp;

beforeAll(async () => {
  app = await startApp(loadConfig({ PORT: '0', LOG_LEVEL: 'silent' }), { log: createLogger('silent') });
});
afterAll(() => app.stop());

// The environment of `npm test` carries npm's own settings (npm_config_*); a developer's shell
// does not, so they are dropped to run npm as the README's commands run.
const SHELL_ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));

function npm(...args: string[]) {
  return spawnSync('npm', args, { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...SHELL_ENV, NODE_OPTIONS: '' } });
}

/** The README's form: `npm run -s token -- <args>`, usable in `$(...)`. */
function tokenCli(...args: string[]) {
  return npm('run', '-s', 'token', '--', ...args);
}

test('npm run -s token -- alice prints one token and nothing else on stdout', () => {
  const run = tokenCli('alice');
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  const claims = decodeJwt(run.stdout.trim());
  expect(claims.sub).toBe('auth0|alice');
  expect(claims.permissions).toEqual(['read:customers', 'read:billing', 'read:licenses', 'manage:licenses']);
  expect(decodeProtectedHeader(run.stdout.trim())).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
});

test('tokens are shaped like Auth0 access tokens', () => {
  const claims = decodeJwt(tokenCli('alice').stdout.trim());
  expect(claims).toMatchObject({
    iss: 'https://dev-issuer.bff.localhost/',
    aud: ['https://bff.localhost/graphql', 'https://dev-issuer.bff.localhost/userinfo'],
    azp: 'portal-app',
    scope: 'openid profile email',
  });
  expect(claims.org_id).toBeUndefined();
});

test('npm run token -- erin --org globex names the organization, and the app reads erin as Globex’s admin', async () => {
  const run = tokenCli('erin', '--org', 'globex');
  expect(run.status).toBe(0);
  const token = run.stdout.trim();
  expect(decodeJwt(token).org_id).toBe(organizationIdOf('globex'));
  const response = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: '{"query":"{ viewer { user { role } customer { name } } }"}',
  });
  expect(((await response.json()) as any).data.viewer).toEqual({ user: { role: 'ADMIN' }, customer: { name: 'Globex' } });

  // Without an organization erin cannot be placed: the CLI says so on stderr, stdout stays a token.
  const bare = tokenCli('erin');
  expect(bare.status).toBe(0);
  expect(bare.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  expect(bare.stderr).toContain('without --org');
  const typo = tokenCli('erin', '--org', 'globx');
  expect(typo.status).toBe(2);
  expect(typo.stdout).toBe('');
  expect(typo.stderr).toContain('--org needs a demo customer (acme, globex, initech)');
});

test('npm speaks: an unknown script fails with a message, and npm run without -s shows its banner', () => {
  const missing = npm('run', 'nonexistent');
  expect(missing.status).not.toBe(0);
  expect(missing.stderr).toMatch(/missing script/i);
  // Without -s npm announces the script on stdout, which is why the README always writes -s.
  const loud = npm('run', 'token', '--', 'alice');
  expect(loud.status).toBe(0);
  expect(loud.stdout).toContain('> shielded-bff@');
});

test('--ttl sets the lifetime; a negative ttl gives an already expired token', () => {
  const run = tokenCli('bob', '--ttl', '-60');
  expect(run.status).toBe(0);
  expect(decodeJwt(run.stdout.trim()).exp!).toBeLessThan(Date.now() / 1000);
});

test('an unknown persona is a usage error on stderr, with nothing on stdout', () => {
  const run = tokenCli('eve');
  expect(run.status).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toContain('unknown persona "eve"');
  expect(run.stderr).toContain('alice');
});

test('a token from the CLI works against the app started with no configuration', async () => {
  const token = tokenCli('carol').stdout.trim();
  const response = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ viewer { subject customer { name licenses { product { name } status } } } }' }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as any;
  expect(body.data.viewer.customer.name).toBe('Globex');
  expect(body.data.viewer.customer.licenses).toContainEqual({ product: { name: 'Analytics Suite' }, status: 'EXPIRED' });

  const expired = tokenCli('carol', '--ttl', '-60').stdout.trim();
  const refused = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${expired}` },
    body: '{"query":"{ viewer { subject } }"}',
  });
  expect(refused.status).toBe(401);
});

test('the landing page in development carries a working token for alice', async () => {
  const response = await fetch(app.url, { headers: { accept: 'text/html' } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/html');
  const html = await response.text();
  const token = /Bearer ([\w-]+\.[\w-]+\.[\w-]+)/.exec(html)?.[1];
  expect(token).toBeDefined();
  expect(decodeJwt(token!).sub).toBe('auth0|alice');
  // The pre-filled token really works: the page is useful the moment it loads.
  const query = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: '{"query":"{ viewer { customer { name } } }"}',
  });
  expect(((await query.json()) as any).data.viewer.customer.name).toBe('Acme Corp');
});

test('introspection works in development (Sandbox needs it)', async () => {
  const token = tokenCli('alice').stdout.trim();
  const response = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: '{"query":"{ __schema { queryType { name } } }"}',
  });
  expect(((await response.json()) as any).data.__schema.queryType.name).toBe('Query');
});

/**
 * The development landing page: Apollo Sandbox from its CDN with a local GraphiQL fallback,
 * both prefilled with the same document and a token minted for this page load, offered only
 * to a browser on this machine. Apollo Sandbox cannot load here (no network), so these tests
 * check what the page is given, not how a browser renders it.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { decodeJwt } from 'jose';
import { startApp, type RunningApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { LANDING_TOKEN_TTL_SECONDS, SANDBOX_SCRIPT } from '../../src/landing-page.js';
import { createLogger } from '../../src/log.js';

let app: RunningApp;
beforeAll(async () => {
  // The demo world as `npm start` runs it (its own issuer mints the page's tokens), with a key
  // in memory instead of the shared key file, and CORS open to any origin.
  app = await startApp(loadConfig({ PORT: '0', LOG_LEVEL: 'silent', CORS_ORIGINS: '*' }), {
    log: createLogger('silent'),
    devKeyFile: null,
  });
});
afterAll(() => app.stop());

/** GET the page with an explicit Host header (fetch would always send the URL's). */
function getPage(
  host: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(app.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, headers: { host, accept: 'text/html,application/xhtml+xml', ...headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

interface ExplorerConfig {
  endpoint: string;
  document: string;
  headers: { Authorization?: string };
  sandboxScript: string;
  assets: { css: string; scripts: string[] };
}

function configOf(html: string): ExplorerConfig {
  const json = /<script type="application\/json" id="bff-explorer-config">(.*?)<\/script>/s.exec(html)?.[1];
  expect(json).toBeDefined();
  return JSON.parse(json!) as ExplorerConfig;
}

const JWT = /ey[\w-]+\.[\w-]+\.[\w-]+/;

test('the page embeds Apollo Sandbox and a local GraphiQL fallback, both given the same document and token', async () => {
  const page = await getPage(new URL(app.url).host);
  expect(page.status).toBe(200);
  expect(page.headers['content-type']).toContain('text/html');
  expect(page.headers['cache-control']).toBe('no-store');
  const config = configOf(page.body);
  expect(config.endpoint).toBe('/graphql');
  expect(config.sandboxScript).toBe(SANDBOX_SCRIPT);
  expect(config.document).toContain('query WhoAmI');
  expect(config.headers.Authorization).toMatch(/^Bearer ey/);
  // The fallback is wired: Sandbox's script failing (or hanging) starts GraphiQL with this config.
  expect(page.body).toContain('new window.EmbeddedSandbox');
  expect(page.body).toContain('window.GraphiQL.createFetcher');
  expect(page.body).toMatch(/function \(\) \{ clearTimeout\(patience\); startGraphiQL\(\); \}/);
  // GraphiQL comes from this server only: no CDN in its assets.
  expect([config.assets.css, ...config.assets.scripts]).toEqual([
    '/graphql/explorer/graphiql.min.css',
    '/graphql/explorer/react.production.min.js',
    '/graphql/explorer/react-dom.production.min.js',
    '/graphql/explorer/graphiql.min.js',
  ]);
});

test('the fallback assets are the installed packages, served by this server', async () => {
  const require = createRequire(import.meta.url);
  const dir = (name: string) => dirname(require.resolve(`${name}/package.json`));
  const expected: Record<string, [string, string]> = {
    'graphiql.min.js': [join(dir('graphiql'), 'graphiql.min.js'), 'text/javascript'],
    'graphiql.min.css': [join(dir('graphiql'), 'graphiql.min.css'), 'text/css'],
    'react.production.min.js': [join(dir('react'), 'umd/react.production.min.js'), 'text/javascript'],
    'react-dom.production.min.js': [join(dir('react-dom'), 'umd/react-dom.production.min.js'), 'text/javascript'],
  };
  for (const [name, [file, type]] of Object.entries(expected)) {
    const response = await fetch(`${app.url}/explorer/${name}`);
    expect([name, response.status]).toEqual([name, 200]);
    expect(response.headers.get('content-type')).toContain(type);
    expect(Buffer.from(await response.arrayBuffer()).equals(readFileSync(file))).toBe(true);
  }
  for (const probe of ['package.json', '..%2F..%2Fpackage.json', 'graphiql.js', '']) {
    expect([probe, (await fetch(`${app.url}/explorer/${probe}`)).status]).toEqual([probe, 404]);
  }
});

test('the token is minted for each page load, short-lived, and works', async () => {
  const host = new URL(app.url).host;
  const before = Math.floor(Date.now() / 1000);
  const [first, second] = await Promise.all([getPage(host), getPage(host)]);
  const tokens = [first, second].map((page) => JWT.exec(page.body)![0]);
  expect(tokens[0]).not.toBe(tokens[1]);
  for (const token of tokens) {
    const claims = decodeJwt(token);
    expect(claims.sub).toBe('auth0|alice');
    expect(claims.exp! - claims.iat!).toBe(LANDING_TOKEN_TTL_SECONDS);
    // Minted now, not at start-up.
    expect(claims.iat!).toBeGreaterThanOrEqual(before - 1);
  }
  const answer = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[0]}` },
    body: '{"query":"{ viewer { subject } }"}',
  });
  expect(await answer.json()).toEqual({ data: { viewer: { subject: 'auth0|alice' } } });
});

test('only loopback hosts get a token: localhost, 127.0.0.1 and [::1], with any port', async () => {
  const port = new URL(app.url).port;
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost', 'LOCALHOST:80']) {
    expect([host, JWT.test((await getPage(host)).body)]).toEqual([host, true]);
  }
  for (const host of [
    'bff.example.com',
    `192.168.1.20:${port}`,
    'localhost.attacker.example',
    '127.0.0.1.nip.io',
    `evil.example:${port}`,
  ]) {
    const page = await getPage(host);
    expect([host, page.status]).toEqual([host, 200]);
    expect([host, JWT.test(page.body)]).toEqual([host, false]);
    expect(configOf(page.body).headers).toEqual({});
    expect(page.body).toContain('No token');
  }
});

test('the page is never granted to another origin, even where CORS allows any', async () => {
  const page = await getPage(new URL(app.url).host, { origin: 'https://evil.example' });
  expect(page.headers['access-control-allow-origin']).toBeUndefined();
  expect(page.headers['x-frame-options']).toBe('DENY');
});

test('a GraphQL GET is not mistaken for a page visit', async () => {
  const search = new URLSearchParams({ query: '{ __typename }' });
  const response = await fetch(`${app.url}?${search}`, {
    headers: { accept: 'text/html, application/json', 'apollo-require-preflight': 'true' },
  });
  expect(response.headers.get('content-type')).not.toContain('text/html');
});

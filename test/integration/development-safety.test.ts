/**
 * Development footguns: the demo issuer's key (in the checkout's .dev/) must never guard real
 * data by accident. Real upstream URLs with the demo issuer need an explicit opt-in; production
 * never runs the demo issuer at all.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startApp } from '../../src/app.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { startDemoServices } from '../../src/demo/services.js';
import { createLogger } from '../../src/log.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REAL = {
  CUSTOMERS_API_URL: 'https://customers.internal',
  BILLING_API_URL: 'https://billing.internal',
  LICENSES_API_URL: 'https://licenses.internal',
};

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
};

test('NODE_ENV unset, real upstream URLs and no issuer: the process refuses to start and names the variable to set', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, PORT: '0', ...REAL },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(run.status).toBe(1);
  expect(run.stderr).toContain('DEMO_ISSUER_WITH_REAL_UPSTREAMS: the *_API_URLs point at real services but no issuer is configured');
  expect(run.stderr).toContain('configure AUTH_ISSUER and AUTH_AUDIENCE, or set DEMO_ISSUER_WITH_REAL_UPSTREAMS=true');
  expect(run.stdout).toBe('');
});

test('the opt-in is honoured outside production, and the start-up log says what it means', async () => {
  const demo = await startDemoServices();
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const config = loadConfig({
    PORT: '0',
    CUSTOMERS_API_URL: demo.urls.customers,
    BILLING_API_URL: demo.urls.billing,
    LICENSES_API_URL: demo.urls.licenses,
    DEMO_ISSUER_WITH_REAL_UPSTREAMS: 'true',
  });
  expect(config.auth.mode).toBe('demo');
  const app = await startApp(config, { log, devKeyFile: null });
  try {
    expect(lines.find((line) => line.msg === 'demo.issuer_guards_real_upstreams')).toMatchObject({ level: 'warn' });
    expect(app.demo).toBeUndefined();
  } finally {
    await app.stop();
    await demo.close();
  }
});

test('production never uses the demo issuer, opt-in or not', () => {
  const found = problemsOf({ NODE_ENV: 'production', ALLOW_FREE_FORM_DOCUMENTS: 'true', ...REAL, DEMO_ISSUER_WITH_REAL_UPSTREAMS: 'true' });
  expect(found).toEqual([
    expect.stringMatching(/^AUTH_ISSUER: required in production/),
    expect.stringMatching(/^AUTH_AUDIENCE: required in production/),
    'DEMO_ISSUER_WITH_REAL_UPSTREAMS: never allowed in production (the demo issuer never runs there)',
  ]);
});

test('a configured issuer, or the demo upstreams, need no opt-in', () => {
  expect(problemsOf({ ...REAL, AUTH_ISSUER: 'https://tenant.eu.auth0.com/', AUTH_AUDIENCE: 'https://api.example.com' })).toEqual([]);
  expect(problemsOf({})).toEqual([]);
});

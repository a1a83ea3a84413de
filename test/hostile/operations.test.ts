/**
 * Operations under stress: liveness vs readiness, graceful shutdown under load (readiness
 * false first, in-flight requests finish, exit 0) both in-process and for the real entry
 * point on SIGTERM, and a bug that never reaches a client as a stack trace.
 */
import { startApp } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createDevIssuer, DEV_KEY_FILE } from '../../src/demo/dev-issuer.js';
import { createLogger } from '../../src/log.js';
import type { Upstreams } from '../../src/upstream/index.js';
import { spawnBff } from '../helpers/process.js';
import { startStack } from '../helpers/stack.js';
import { expectNoLeak } from './leaks.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SLOW_QUERY = JSON.stringify({ query: '{ viewer { customer { name licenses { seats seatsUsed } } } }' });

async function slowRequest(url: string, token: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: SLOW_QUERY,
  });
  return { status: response.status, text: await response.text() };
}

test('healthz is liveness only; readyz reflects keys and upstreams', async () => {
  const stack = await startStack();
  try {
    const health = await fetch(new URL('/healthz', stack.url));
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(new URL('/readyz', stack.url));
    expect(ready.status).toBe(200);
    // Probes need no token and carry no detail.
    expect(ready.headers.get('content-type')).toMatch(/json/);
  } finally {
    await stack.stop();
  }
});

test('in-process shutdown: readiness turns false first, in-flight requests finish, then the port closes', async () => {
  const clock = new ManualClock(Date.now());
  const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', DEMO_LATENCY_MS: '150', SHUTDOWN_DELAY_MS: '500' });
  const app = await startApp(config, { log: createLogger('silent'), devKeyFile: null, clock });
  const token = await app.devIssuer!.signPersona('alice');
  const readyz = new URL('/readyz', app.url);
  expect((await fetch(readyz)).status).toBe(200);

  const inFlight = Array.from({ length: 6 }, () => slowRequest(app.url, token));
  // Every request is at the (150 ms) upstreams before shutdown begins.
  while (app.demo!.totalRequests() < 6) await sleep(5);
  const stopping = app.stop();
  // Draining: not ready, but still serving (a request started now also completes), and the
  // listener stays open for the whole delay (500 ms on the app's clock, which has not moved).
  expect((await fetch(readyz)).status).toBe(503);
  const late = slowRequest(app.url, token);
  const results = await Promise.all([...inFlight, late]);
  for (const result of results) {
    expect(result.status).toBe(200);
    expect(JSON.parse(result.text).data.viewer.customer.name).toBe('Acme Corp');
  }
  expect((await fetch(readyz)).status).toBe(503);
  clock.advance(500);
  await stopping;
  await expect(fetch(readyz)).rejects.toThrow();
});

test('SIGTERM under load: the real entry point drains (readiness false first), finishes in-flight requests and exits 0', async () => {
  // `node --import tsx` rather than the tsx CLI: the signal must reach our process itself,
  // not a wrapper that relays it.
  const { child, url, stderr, exited } = await spawnBff(
    process.execPath,
    ['--import', 'tsx', 'src/main.ts'],
    { DEMO_LATENCY_MS: '250', SHUTDOWN_DELAY_MS: '1500' },
    20_000,
  );
  try {
    // The demo issuer of `npm start` shares its key file with `npm run token`.
    const token = await (await createDevIssuer({ keyFile: DEV_KEY_FILE })).signPersona('alice');
    const readyz = new URL('/readyz', url);
    expect((await fetch(readyz)).status).toBe(200);

    const inFlight = Array.from({ length: 8 }, () => slowRequest(url, token));
    await sleep(100);
    child.kill('SIGTERM');
    // Draining: the listener is still open, and says it should get no new traffic. (Polled:
    // a loaded machine may take a moment to deliver the signal.)
    let draining = 0;
    for (let i = 0; i < 40 && draining !== 503; i++) {
      await sleep(25);
      draining = (await fetch(readyz)).status;
    }
    expect(draining).toBe(503);
    const results = await Promise.all(inFlight);
    for (const result of results) {
      expect(result.status).toBe(200);
      expect(JSON.parse(result.text).data.viewer.customer.name).toBe('Acme Corp');
      expectNoLeak(result);
    }
    expect({ code: await exited, stderr: stderr() }).toEqual({ code: 0, stderr: expect.stringContaining('shutdown.finished') });
    expect(stderr()).not.toMatch(/\bat .+:\d+:\d+/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('an unexpected bug reaches the client as a generic INTERNAL_SERVER_ERROR, never a stack or message', async () => {
  const stack = await startStack({
    wrapUpstreams: (real: Upstreams): Upstreams => ({
      ...real,
      licenses: {
        ...real.licenses,
        licensesByCustomers: async () => {
          throw new TypeError("Cannot read properties of undefined (reading 'secretKey') at /srv/app/src/x.ts:12:7");
        },
      },
    }),
  });
  try {
    const result = await stack.gql('{ viewer { customer { name licenses { id } } } }', { persona: 'alice' });
    expect(result.status).toBe(200);
    const codes = (result.errors ?? []).map((e) => e.extensions?.code);
    expect(codes.length).toBeGreaterThan(0);
    for (const error of result.errors ?? []) {
      expect(['INTERNAL_SERVER_ERROR', 'FORBIDDEN', 'UPSTREAM_UNAVAILABLE']).toContain(error.extensions?.code);
      expect(Object.keys(error.extensions ?? {})).not.toContain('stacktrace');
    }
    expectNoLeak(result, ['secretKey', '/srv/app']);
    // The operator still gets the detail.
    expect(stack.rawLogs()).toContain('secretKey');
  } finally {
    await stack.stop();
  }
});

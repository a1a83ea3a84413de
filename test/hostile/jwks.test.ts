/**
 * The issuer's key server under attack or failing: unknown-kid floods, key rotation, a key
 * server that is down, hangs, serves HTML or redirects — at a cold start (503, no internals)
 * and later (keys already fetched keep working).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTokenVerifier, type VerifierDependencies, type VerifierSettings } from '../../src/auth/verifier.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { DEV_AUDIENCE, DEV_ISSUER } from '../../src/demo/dev-issuer.js';
import { BffError } from '../../src/errors.js';
import { createTestKey, personaClaims, startJwksServer, type JwksServer, type TestKey } from '../helpers/jwks-server.js';
import { advanceUntilSettled, startStack, type TestStack } from '../helpers/stack.js';
import { expectAuthUnavailable, expectNoLeak } from './leaks.js';

const QUERY = '{ viewer { subject } }';

let k1: TestKey;
let k2: TestKey;
let stranger: TestKey;
beforeAll(async () => {
  [k1, k2, stranger] = await Promise.all([createTestKey('k1'), createTestKey('k2'), createTestKey('stranger')]);
});

/** A verifier as configured by default, with `overrides`, on `deps.clock` (a fresh manual clock by default). */
function verifierFor(jwksUrl: string, overrides: Partial<VerifierSettings> = {}, deps: VerifierDependencies = {}) {
  const settings: VerifierSettings = {
    ...loadConfig({}).auth,
    // No token cache: every call below really consults the key set.
    tokenCacheSize: 0,
    tokenCacheTtlSeconds: 0,
    jwksTimeoutMs: 300,
    ...overrides,
  };
  return createTokenVerifier(settings, [{ issuer: DEV_ISSUER, audiences: [DEV_AUDIENCE], jwksUrl }], deps);
}

/** 'ok', or the client-facing code the verifier refused with. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return error instanceof BffError ? String(error.extensions.code) : `unexpected ${String(error)}`;
  }
}

async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/.well-known/jwks.json`;
}

describe('verifier', () => {
  let jwks: JwksServer;
  beforeEach(async () => {
    jwks = await startJwksServer([k1.publicJwk]);
  });
  afterEach(() => jwks.close());

  test('a flood of unknown kids causes at most one JWKS refetch per cooldown', async () => {
    // Tokens are signed up front so the flood itself takes milliseconds, not the cooldown.
    const forged = await Promise.all(
      Array.from({ length: 350 }, (_, i) => stranger.sign(personaClaims('dave'), { header: { kid: `kid-${i}-${Math.random()}` } })),
    );
    const flood = (n: number) => Promise.all(forged.splice(0, n).map((token) => outcome(verifier.verify(token))));
    const clock = new ManualClock(Date.now());
    const verifier = verifierFor(jwks.url, { jwksCooldownSeconds: 30 }, { clock });
    expect(await verifier.prefetch()).toBe(true);
    expect(jwks.requests).toBe(1);

    // Right after a fetch: inside the cooldown, no refetch at all.
    expect(new Set(await flood(100))).toEqual(new Set(['UNAUTHENTICATED']));
    expect(jwks.requests).toBe(1);
    // Cooldown over: a concurrent flood shares one refetch, the next floods none.
    clock.advance(30_000);
    expect(new Set(await flood(100))).toEqual(new Set(['UNAUTHENTICATED']));
    expect(jwks.requests).toBe(2);
    for (let i = 0; i < 20; i++) await flood(5);
    expect(jwks.requests).toBe(2);
    clock.advance(30_000);
    await flood(50);
    expect(jwks.requests).toBe(3);
    // A known key still verifies during the flood.
    expect(await outcome(verifier.verify(await k1.sign(personaClaims('alice'))))).toBe('ok');
  });

  test('a rotated key is picked up once the cooldown allows a refetch', async () => {
    const clock = new ManualClock(Date.now());
    const verifier = verifierFor(jwks.url, { jwksCooldownSeconds: 30 }, { clock });
    await verifier.prefetch();
    expect(await outcome(verifier.verify(await k1.sign(personaClaims('alice'))))).toBe('ok');
    // The issuer rotates: k2 in, k1 out.
    jwks.keys = [k2.publicJwk];
    clock.advance(30_000);
    expect(await outcome(verifier.verify(await k2.sign(personaClaims('alice'))))).toBe('ok');
    expect(jwks.requests).toBe(2);
    // Tokens of the retired key no longer verify.
    expect(await outcome(verifier.verify(await k1.sign(personaClaims('alice'))))).toBe('UNAUTHENTICATED');
  });

  test('failed fetches at a cold start are rate-limited and the verifier recovers when the key server does', async () => {
    jwks.mode = 'html';
    const clock = new ManualClock(Date.now());
    const verifier = verifierFor(jwks.url, { jwksCooldownSeconds: 30 }, { clock });
    const token = await k1.sign(personaClaims('alice'));
    const outcomes = [];
    for (let i = 0; i < 30; i++) outcomes.push(await outcome(verifier.verify(token)));
    expect(new Set(outcomes)).toEqual(new Set(['AUTH_UNAVAILABLE']));
    expect(jwks.requests).toBeLessThanOrEqual(2);
    expect(verifier.ready()).toBe(false);
    jwks.mode = 'ok';
    clock.advance(30_000);
    expect(await outcome(verifier.verify(token))).toBe('ok');
    expect(verifier.ready()).toBe(true);
  });

  test('keys already fetched keep working when the key server later hangs, serves HTML, errors or disappears', async () => {
    const clock = new ManualClock(Date.now());
    const verifier = verifierFor(jwks.url, { jwksCooldownSeconds: 30, jwksCacheMaxAgeSeconds: 60, jwksTimeoutMs: 20_000 }, { clock });
    await verifier.prefetch();
    for (const mode of ['hang', 'html', 'error', 'redirect'] as const) {
      jwks.mode = mode;
      const token = await k1.sign(personaClaims('alice'));
      clock.advance(61_000); // the keys are now stale: a background refresh is attempted and fails
      // Stale keys answer at once: the clock does not move, so a verification that waited for
      // the (hanging, 20 s budget) refresh would never finish.
      expect(await outcome(verifier.verify(token))).toBe('ok');
    }
    await jwks.close();
    clock.advance(61_000);
    expect(await outcome(verifier.verify(await k1.sign(personaClaims('bob'))))).toBe('ok');
    // A new key while the server is gone (past the cooldown): it cannot be known, and says
    // so (503, not 401).
    clock.advance(61_000);
    expect(await outcome(verifier.verify(await k2.sign(personaClaims('bob'))))).toBe('AUTH_UNAVAILABLE');
    jwks = await startJwksServer(); // afterEach closes it
  });

  test('an oversized key set is refused without being buffered', async () => {
    jwks.keys = Array.from({ length: 2000 }, (_, i) => ({ ...k1.publicJwk, kid: `padding-${i}` }));
    const verifier = verifierFor(jwks.url, {}, { jwksMaxBytes: 64 * 1024 });
    expect(await outcome(verifier.verify(await k1.sign(personaClaims('alice'))))).toBe('AUTH_UNAVAILABLE');
    expect(verifier.ready()).toBe(false);
  });
});

describe('server at a cold start', () => {
  let jwks: JwksServer;
  let attacker: JwksServer;
  let stack: TestStack;
  let clock: ManualClock;
  // After a failed fetch, requests fail fast for this long before one may try again.
  const BACKOFF_MS = 1000;
  beforeAll(async () => {
    jwks = await startJwksServer([k1.publicJwk]);
    attacker = await startJwksServer([stranger.publicJwk]);
    jwks.mode = 'hang';
    clock = new ManualClock(Date.now());
    // Start-up fetches the keys first: the clock moves until that fetch gives up (300 ms).
    stack = await advanceUntilSettled(
      clock,
      startStack({
        clock,
        jwksUrl: jwks.url,
        env: {
          AUTH_JWKS_TIMEOUT_MS: '300',
          AUTH_JWKS_COOLDOWN_SECONDS: '30',
          AUTH_JWKS_CACHE_MAX_AGE_SECONDS: '10',
          AUTH_TOKEN_CACHE_SIZE: '0',
        },
      }),
    );
  });
  afterAll(async () => {
    await stack.stop();
    await jwks.close();
    await attacker.close();
  });

  const readyz = async () => (await fetch(new URL('/readyz', stack.url))).status;

  test('JWKS hanging: 503 AUTH_UNAVAILABLE after the fetch timeout, and not ready', async () => {
    expect(stack.logs.some((line) => line.msg === 'auth.jwks_failed')).toBe(true);
    expectAuthUnavailable(await advanceUntilSettled(clock, stack.gql(QUERY, { token: await k1.sign(personaClaims('alice')) })));
    expect(await readyz()).toBe(503);
  });

  test('JWKS serving HTML, an error status or a redirect: 503 without internals, redirect not followed', async () => {
    attacker.reset();
    jwks.redirectTo = attacker.url;
    for (const mode of ['html', 'error', 'redirect'] as const) {
      jwks.mode = mode;
      clock.advance(BACKOFF_MS);
      const result = await stack.gql(QUERY, { token: await k1.sign(personaClaims('alice')) });
      expectAuthUnavailable(result);
      expectNoLeak(result, ['html', 'Maintenance', 'internal']);
    }
    expect(attacker.requests).toBe(0);
    expect(await readyz()).toBe(503);
  });

  test('key server back: requests succeed and the instance turns ready', async () => {
    jwks.mode = 'ok';
    clock.advance(BACKOFF_MS);
    const result = await stack.gql(QUERY, { token: await k1.sign(personaClaims('alice')) });
    expect(result.status).toBe(200);
    expect(await readyz()).toBe(200);
  });

  test('key server failing again later: cached keys keep verifying', async () => {
    jwks.mode = 'html';
    clock.advance(11_000); // the keys are stale: a background refresh is attempted and fails
    const result = await stack.gql(QUERY, { token: await k1.sign(personaClaims('bob')) });
    expect(result.status).toBe(200);
    expect(result.data).toEqual({ viewer: { subject: 'auth0|bob' } });
    expect(await readyz()).toBe(200);
  });

  test('JWKS down (connection refused): 503 AUTH_UNAVAILABLE without internals', async () => {
    const down = await startStack({ jwksUrl: await closedPortUrl(), env: { AUTH_JWKS_TIMEOUT_MS: '300' } });
    try {
      const result = await down.gql(QUERY, { token: await k1.sign(personaClaims('alice')) });
      expectAuthUnavailable(result);
      expect(down.verifier.ready()).toBe(false);
      // The operator gets the cause in the log, the client does not.
      expect(down.rawLogs()).toContain('auth.jwks_failed');
    } finally {
      await down.stop();
    }
  });
});

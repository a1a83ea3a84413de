/**
 * The issuer's key server under attack or failing: unknown-kid floods, key rotation, a key
 * server that is down, hangs, serves HTML or redirects — at a cold start (503, no internals)
 * and later (keys already fetched keep working).
 */
import { jest } from '@jest/globals';
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

describe('verified-token cache: a token past its TTL is revalidated by its key, never past its exp', () => {
  let jwks: JwksServer;
  let clock: ManualClock;
  let signatureChecks: ReturnType<typeof jest.spyOn>;
  const TTL_MS = 60_000;
  const MAX_AGE_MS = 600_000;
  beforeEach(async () => {
    jwks = await startJwksServer([k1.publicJwk]);
    clock = new ManualClock(Date.now());
    // Every RS256 signature check goes through WebCrypto: counting calls shows which path ran.
    signatureChecks = jest.spyOn(crypto.subtle, 'verify');
  });
  afterEach(async () => {
    signatureChecks.mockRestore();
    await jwks.close();
  });

  /** The default settings with the token cache on (TTL 60 s, keys refreshed every 600 s). */
  async function cachingVerifier() {
    const verifier = verifierFor(
      jwks.url,
      { tokenCacheSize: 100, tokenCacheTtlSeconds: TTL_MS / 1000, jwksCacheMaxAgeSeconds: MAX_AGE_MS / 1000, jwksCooldownSeconds: 30 },
      { clock },
    );
    expect(await verifier.prefetch()).toBe(true);
    return verifier;
  }

  test('while its key is unchanged: kept with no signature check and no key fetch; a refetch costs one full verification', async () => {
    const verifier = await cachingVerifier();
    const token = await k1.sign(personaClaims('alice'));
    const principal = await verifier.verify(token);
    expect(signatureChecks).toHaveBeenCalledTimes(1);
    clock.advance(TTL_MS / 2);
    expect(verifier.cached(token)).toBe(principal);
    // Past the TTL, eight times over (480 s, inside the key set's max age of 600 s).
    for (let i = 1; i <= 8; i++) {
      clock.advance(TTL_MS);
      expect(verifier.cached(token)).toBeUndefined();
      expect(await verifier.verify(token)).toBe(principal);
      expect(verifier.cached(token)).toBe(principal);
    }
    expect(signatureChecks).toHaveBeenCalledTimes(1);
    expect(jwks.requests).toBe(1);
    expect(verifier.cacheStats()).toEqual({ hits: 1 + 8 * 2, misses: 1, revalidated: 8 });

    // The key set goes stale: refetched in the background (the stale key still answers meanwhile).
    clock.advance(MAX_AGE_MS);
    expect(await verifier.verify(token)).toBe(principal);
    await verifier.prefetch(); // joins the background refetch, or fetches once more
    expect(jwks.requests).toBeGreaterThanOrEqual(2);
    // The refetched set holds new key objects: one full verification, then revalidations again.
    clock.advance(TTL_MS);
    expect(await verifier.verify(token)).toEqual(principal);
    expect(signatureChecks).toHaveBeenCalledTimes(2);
    clock.advance(TTL_MS);
    await verifier.verify(token);
    expect(signatureChecks).toHaveBeenCalledTimes(2);
    expect(verifier.cacheStats().revalidated).toBe(10);
  });

  test('a key rotated out of the key set ends its cached tokens at the first revalidation after the refetch', async () => {
    jwks.keys = [k1.publicJwk, k2.publicJwk];
    const verifier = await cachingVerifier();
    const old = await k1.sign(personaClaims('alice'));
    const current = await k2.sign(personaClaims('bob'));
    expect(await outcome(verifier.verify(old))).toBe('ok');
    expect(await outcome(verifier.verify(current))).toBe('ok');
    // The issuer retires k1; this instance notices at its next refetch.
    jwks.keys = [k2.publicJwk];
    clock.advance(MAX_AGE_MS);
    await verifier.prefetch();
    expect(await outcome(verifier.verify(old))).toBe('UNAUTHENTICATED');
    expect(await outcome(verifier.verify(current))).toBe('ok');
    // A refused token leaves the cache: it stays refused.
    expect(verifier.cached(old)).toBeUndefined();
    expect(await outcome(verifier.verify(old))).toBe('UNAUTHENTICATED');
  });

  test('a key replaced under the same kid: the cached token is verified in full again, and refused', async () => {
    const verifier = await cachingVerifier();
    const token = await k1.sign(personaClaims('alice'));
    expect(await outcome(verifier.verify(token))).toBe('ok');
    const impostor = await createTestKey(k1.kid);
    jwks.keys = [impostor.publicJwk];
    clock.advance(MAX_AGE_MS);
    await verifier.prefetch();
    const checks = signatureChecks.mock.calls.length;
    expect(await outcome(verifier.verify(token))).toBe('UNAUTHENTICATED');
    expect(signatureChecks.mock.calls.length).toBe(checks + 1);
    expect(verifier.cacheStats().revalidated).toBe(0);
  });

  test('an expired token is never revalidated, and nothing about it is reused past its exp', async () => {
    const verifier = await cachingVerifier();
    const tolerance = loadConfig({}).auth.clockToleranceSeconds * 1000;
    const token = await k1.sign(personaClaims('alice'), { ttlSeconds: 90 });
    const principal = await verifier.verify(token);
    clock.advance(TTL_MS + 1);
    expect(await verifier.verify(token)).toBe(principal);
    expect(verifier.cacheStats().revalidated).toBe(1);
    // Past exp (within the clock tolerance): no revalidation, a full verification accepts it.
    clock.advance(90_000 - TTL_MS);
    expect(verifier.cached(token)).toBeUndefined();
    const checks = signatureChecks.mock.calls.length;
    expect(await outcome(verifier.verify(token))).toBe('ok');
    expect(signatureChecks.mock.calls.length).toBe(checks + 1);
    // Past the tolerance: refused, however recently its key was confirmed.
    clock.advance(tolerance + 1000);
    expect(await outcome(verifier.verify(token))).toBe('UNAUTHENTICATED');
    expect(verifier.cacheStats().revalidated).toBe(1);
  });

  test('on a live server: a token used again past the TTL is answered without a signature check; its key retired, it gets 401', async () => {
    jwks.keys = [k1.publicJwk, k2.publicJwk];
    const stack = await startStack({ clock, jwksUrl: jwks.url, env: { AUTH_JWKS_CACHE_MAX_AGE_SECONDS: String(MAX_AGE_MS / 1000) } });
    try {
      const token = await k1.sign(personaClaims('alice'));
      expect((await stack.gql(QUERY, { token })).data).toEqual({ viewer: { subject: 'auth0|alice' } });
      const checks = signatureChecks.mock.calls.length;
      clock.advance(TTL_MS + 1);
      expect((await stack.gql(QUERY, { token })).data).toEqual({ viewer: { subject: 'auth0|alice' } });
      expect(signatureChecks.mock.calls.length).toBe(checks);
      expect(stack.verifier.cacheStats().revalidated).toBe(1);
      jwks.keys = [k2.publicJwk];
      clock.advance(MAX_AGE_MS);
      await stack.verifier.prefetch();
      const refused = await stack.gql(QUERY, { token });
      expect(refused.status).toBe(401);
      expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    } finally {
      await stack.stop();
    }
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

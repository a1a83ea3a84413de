/**
 * Several instances sharing one Redis (a real redis-server on a free port): one global
 * per-caller limit instead of one per instance, cache invalidations that reach every instance
 * within 100 ms, and a Redis that dies mid-test without failing a single request.
 */
import { performance } from 'node:perf_hooks';
import type { RedisCache } from '../../src/cache/redis-cache.js';
import { CACHE_KEYS } from '../../src/cache/cross-request.js';
import { ManualClock } from '../../src/clock.js';
import { signLicenseNotification } from '../../src/notifications.js';
import { startRedis, type TestRedis, waitFor } from '../helpers/redis.js';
import { PRODUCTION, startStack, type TestStack } from '../helpers/stack.js';

let redis: TestRedis;
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

/** Each test its own key space in the one Redis. */
const redisEnv = (extra: Record<string, string> = {}) => ({
  ...PRODUCTION,
  REDIS_URL: redis.url,
  REDIS_KEY_PREFIX: `t${++prefixes}:`,
  ...extra,
});

const VIEWER = '{ viewer { subject customer { name } } }';

async function twoInstances(env: Record<string, string>, clock = new ManualClock(Date.now())): Promise<[TestStack, TestStack]> {
  const a = await startStack({ env, clock });
  try {
    const b = await startStack({ env, clock, sameDeploymentAs: a });
    return [a, b];
  } catch (error) {
    await a.stop();
    throw error;
  }
}

describe('two instances, one Redis', () => {
  test('the per-caller rate limit is global: a burst of 4 is 4 across both instances, not 4 on each', async () => {
    // A manual clock that never moves: the bucket never refills during the test.
    const [a, b] = await twoInstances(
      redisEnv({ RATE_LIMIT_CALLER_PER_SECOND: '1', RATE_LIMIT_CALLER_BURST: '4', RATE_LIMIT_CALLER_CONCURRENCY: '100' }),
    );
    try {
      const token = await a.token('alice');
      const statuses: number[] = [];
      for (const stack of [a, b, a, b, a, b]) statuses.push((await stack.gql(VIEWER, { token })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
      // Another caller has a bucket of its own, on either instance.
      expect((await b.gql(VIEWER, { persona: 'bob' })).status).toBe(200);
      const refused = await a.gql(VIEWER, { token });
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    } finally {
      await b.stop();
      await a.stop();
    }
  });

  test('concurrency slots are global: two slow requests on one instance fill the caller’s two slots on the other', async () => {
    const [a, b] = await twoInstances(redisEnv({ RATE_LIMIT_CALLER_CONCURRENCY: '2' }));
    try {
      const token = await a.token('alice');
      a.demo.customers.faults.latencyMs = 400;
      const slow = [a.gql(VIEWER, { token }), a.gql(VIEWER, { token })];
      // Both slow requests are admitted (slots taken) once they reach the upstream.
      await waitFor(() => a.demo.customers.stats.working >= 2, 5000, 'two requests in flight');
      const third = await b.gql(VIEWER, { token });
      expect(third.status).toBe(429);
      expect(third.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      expect((await Promise.all(slow)).map((r) => r.status)).toEqual([200, 200]);
      a.demo.customers.faults.latencyMs = 0;
      // Released on both ends: the next one is admitted anywhere.
      expect((await b.gql(VIEWER, { token })).status).toBe(200);
    } finally {
      await b.stop();
      await a.stop();
    }
  });

  test('a signed license-change notification posted to one instance drops the cached licenses on the other within 100 ms', async () => {
    const clock = new ManualClock(Date.now());
    const secret = 'a-shared-secret-of-at-least-32-characters';
    const [a, b] = await twoInstances(redisEnv({ IDENTITY_CACHE_TTL_SECONDS: '60', LICENSE_NOTIFICATION_SECRET: secret }), clock);
    try {
      const cacheB = b.app.cache as RedisCache;
      const key = CACHE_KEYS.licenses('cus_acme');
      await cacheB.set(key, [{ id: 'lic_1' }]);
      expect(cacheB.holdsLocally(key)).toBe(true);
      const notify = (body: string, headers: Record<string, string>) =>
        fetch(new URL('/notifications/license-changed', a.url), {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body,
        });
      const body = JSON.stringify({ customerId: 'cus_acme' });
      const now = Math.floor(clock.now() / 1000);

      // Refused, and nothing dropped: a wrong signature, a stale timestamp, no signature at all.
      expect(
        (await notify(body, { 'x-bff-timestamp': String(now), 'x-bff-signature': signLicenseNotification('wrong'.repeat(8), now, body) }))
          .status,
      ).toBe(401);
      expect(
        (await notify(body, { 'x-bff-timestamp': String(now - 301), 'x-bff-signature': signLicenseNotification(secret, now - 301, body) }))
          .status,
      ).toBe(401);
      expect((await notify(body, {})).status).toBe(401);
      const tampered = JSON.stringify({ customerId: 'cus_globex' });
      expect(
        (await notify(tampered, { 'x-bff-timestamp': String(now), 'x-bff-signature': signLicenseNotification(secret, now, body) })).status,
      ).toBe(401);
      expect(cacheB.holdsLocally(key)).toBe(true);
      expect(a.logs.filter((line) => line.msg === 'notification.rejected').map((line) => line.reason)).toEqual([
        'bad_signature',
        'stale',
        'missing_signature',
      ]);

      const seen = new Promise<number>((resolve) =>
        cacheB.onInvalidate((origin, keys) => origin === 'remote' && keys.includes(key) && resolve(performance.now())),
      );
      const sent = performance.now();
      const accepted = await notify(body, {
        'x-bff-timestamp': String(now),
        'x-bff-signature': signLicenseNotification(secret, now, body),
      });
      expect(accepted.status).toBe(202);
      expect(await accepted.json()).toEqual({ invalidated: [key] });
      const delay = (await seen) - sent;
      expect(cacheB.holdsLocally(key)).toBe(false);
      expect(delay).toBeLessThan(100);
      expect(b.rawLogs()).not.toContain(secret);
    } finally {
      await b.stop();
      await a.stop();
    }
  });
});

describe('entitlements through the shared cache', () => {
  test('a license expired upstream is served from the cache until the notification, then refused on every instance', async () => {
    const clock = new ManualClock(Date.now());
    const secret = 'a-shared-secret-of-at-least-32-characters';
    const [a, b] = await twoInstances(redisEnv({ IDENTITY_CACHE_TTL_SECONDS: '300', LICENSE_NOTIFICATION_SECRET: secret }), clock);
    try {
      const acme = a.world.customers.find((c) => c.slug === 'acme')!;
      const analytics = a.world.licenses.find((l) => l.customerId === acme.id && l.features.includes('usage-analytics'))!;
      const usage = '{ viewer { customer { usage { apiCalls } } } }';
      const token = await a.token('alice');
      // Instance A reads the licenses and shares them; B is served from the cache, not the license API.
      expect((await a.gql(usage, { token })).errors).toBeUndefined();
      const licenseReads = () => b.demo.licenses.stats.byOperation['POST /licenses/by-customer'] ?? 0;
      const before = licenseReads();
      expect((await b.gql(usage, { token })).errors).toBeUndefined();
      expect(licenseReads()).toBe(before);

      // The license ends upstream (both instances share the demo world's license service).
      const ended = await fetch(`${a.demo.urls.licenses}/licenses/${analytics.id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'suspended' }),
      });
      expect(ended.ok).toBe(true);
      // Within the TTL, without a notification, the cached licenses still grant it: the staleness documented.
      expect((await b.gql(usage, { token })).errors).toBeUndefined();

      const body = JSON.stringify({ customerId: acme.id });
      const now = Math.floor(clock.now() / 1000);
      const accepted = await fetch(new URL('/notifications/license-changed', a.url), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-bff-timestamp': String(now),
          'x-bff-signature': signLicenseNotification(secret, now, body),
        },
        body,
      });
      expect(accepted.status).toBe(202);
      await waitFor(() => !(b.app.cache as RedisCache).holdsLocally(CACHE_KEYS.licenses(acme.id)), 5000, 'invalidation on B');
      for (const stack of [a, b]) {
        const refused = await stack.gql(usage, { token });
        expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['LICENSE_REQUIRED']);
      }
    } finally {
      await b.stop();
      await a.stop();
    }
  });
});

describe('the shared cache, instance to instance', () => {
  test('an invalidation through one instance is seen by the other within 100 ms, and a value read back is never a stale copy', async () => {
    const [a, b] = await twoInstances(redisEnv({ IDENTITY_CACHE_TTL_SECONDS: '60' }));
    try {
      const cacheA = a.app.cache as RedisCache;
      const cacheB = b.app.cache as RedisCache;
      const key = CACHE_KEYS.licenses('cus_1');
      await cacheA.set(key, { seats: 10 });
      // B has it from Redis, and keeps it in memory.
      expect(await cacheB.get(key)).toEqual({ seats: 10 });
      expect(cacheB.holdsLocally(key)).toBe(true);

      const delays: number[] = [];
      for (let round = 0; round < 20; round++) {
        await cacheA.set(key, { seats: round });
        await cacheB.get(key);
        const started = performance.now();
        await cacheA.invalidate([key]);
        await waitFor(() => !cacheB.holdsLocally(key), 1000, 'invalidation on B');
        delays.push(performance.now() - started);
        expect(await cacheB.get(key)).toBeUndefined();
      }
      delays.sort((x, y) => x - y);
      expect(delays[delays.length - 1]).toBeLessThan(100);
    } finally {
      await b.stop();
      await a.stop();
    }
  });
});

describe('Redis dies mid-test', () => {
  test('requests keep being served, limits fall back to each instance, readiness says degraded; all shared again once Redis is back', async () => {
    const stack = await startStack({
      env: redisEnv({ RATE_LIMIT_CALLER_PER_SECOND: '1', RATE_LIMIT_CALLER_BURST: '100', IDENTITY_CACHE_TTL_SECONDS: '60' }),
      clock: new ManualClock(Date.now()),
    });
    const readyz = new URL('/readyz', stack.url);
    try {
      expect((await stack.gql(VIEWER)).status).toBe(200);
      expect(await (await fetch(readyz)).json()).toEqual({ status: 'ready' });
      const cache = stack.app.cache as RedisCache;
      await cache.set('licenses:x', [1]);

      await redis.kill();
      const results = await Promise.all(Array.from({ length: 10 }, () => stack.gql(VIEWER)));
      for (const result of results) {
        expect(result.status).toBe(200);
        expect(result.data?.viewer.customer).toEqual({ name: 'Acme Corp' });
      }
      await waitFor(() => !stack.app.redis!.up, 5000, 'redis seen down');
      const degraded = await fetch(readyz);
      expect({ status: degraded.status, body: await degraded.json() }).toEqual({
        status: 200,
        body: { status: 'ready', degraded: ['redis'] },
      });
      expect((await stack.app.metrics.render()).body).toMatch(/^bff_redis_up 0$/m);
      expect(stack.logs.filter((line) => line.msg === 'redis.unavailable')).toHaveLength(1);
      // The cache works per instance meanwhile.
      expect(await cache.get('licenses:x')).toEqual([1]);

      await redis.restart();
      await waitFor(
        async () => ((await (await fetch(readyz)).json()) as { degraded?: string[] }).degraded === undefined,
        10_000,
        'redis back',
      );
      // Invalidations may have been missed while away: the memory layer starts over.
      expect(cache.localSize).toBe(0);
      expect((await stack.gql(VIEWER)).status).toBe(200);
      expect(stack.logs.some((line) => line.msg === 'redis.recovered')).toBe(true);
    } finally {
      await stack.stop();
    }
  });

  test('with REDIS_LIMITS_ON_ERROR=closed, requests are refused with 429 and the instance is not ready while Redis is away', async () => {
    const stack = await startStack({ env: redisEnv({ REDIS_LIMITS_ON_ERROR: 'closed' }) });
    const readyz = new URL('/readyz', stack.url);
    try {
      expect((await stack.gql(VIEWER)).status).toBe(200);
      await redis.kill();
      await waitFor(() => !stack.app.redis!.up, 5000, 'redis seen down');
      const refused = await stack.gql(VIEWER);
      expect(refused.status).toBe(429);
      expect((await fetch(readyz)).status).toBe(503);
      await redis.restart();
      await waitFor(async () => (await fetch(readyz)).status === 200, 10_000, 'ready again');
      expect((await stack.gql(VIEWER)).status).toBe(200);
    } finally {
      await stack.stop();
    }
  });
});

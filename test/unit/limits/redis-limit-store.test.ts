/**
 * The Redis LimitStore against a real redis-server, on a manual clock: the same answers as the
 * in-memory store, slots that expire when their holder never releases them (a crashed
 * instance), and the three behaviours while Redis does not answer.
 */
import { ManualClock } from '../../../src/clock.js';
import { createMemoryLimitStore } from '../../../src/limits/limit-store.js';
import { type LimitsOnError, RedisLimitStore } from '../../../src/limits/redis-limit-store.js';
import { createLogger } from '../../../src/log.js';
import { RedisConnection } from '../../../src/redis.js';
import { startRedis, type TestRedis, waitFor } from '../../helpers/redis.js';

let redis: TestRedis;
const connections: RedisConnection[] = [];
let prefix = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await redis.stop();
});

async function store(options: { url?: string; onError?: LimitsOnError; clock?: ManualClock; slotTtlMs?: number } = {}) {
  const clock = options.clock ?? new ManualClock();
  const connection = new RedisConnection({ url: options.url ?? redis.url, keyPrefix: 'x', commandTimeoutMs: 250 }, createLogger('silent'));
  connections.push(connection);
  await connection.connected(options.url === undefined ? 5000 : 200);
  const errors: string[] = [];
  const limits = new RedisLimitStore(connection, {
    clock,
    keyPrefix: `u${++prefix}:`,
    slotTtlMs: options.slotTtlMs ?? 30_000,
    onError: options.onError ?? 'local',
    fallback: createMemoryLimitStore({ clock }),
    log: createLogger('silent'),
    onCommandError: (operation) => errors.push(operation),
  });
  return { limits, clock, errors };
}

test('token buckets answer exactly as the in-memory store: burst, then waits in ms, refilled on the clock', async () => {
  const clock = new ManualClock();
  const { limits } = await store({ clock });
  const memory = createMemoryLimitStore({ clock });
  const both = async () => [await limits.take('k', 2, 3), await memory.take('k', 2, 3)];
  expect(await both()).toEqual([0, 0]);
  expect(await both()).toEqual([0, 0]);
  expect(await both()).toEqual([0, 0]);
  expect(await both()).toEqual([500, 500]);
  clock.advance(499);
  expect(await both()).toEqual([1, 1]);
  clock.advance(1);
  expect(await both()).toEqual([0, 0]);
  clock.advance(10_000);
  for (let i = 0; i < 3; i++) expect(await both()).toEqual([0, 0]);
  expect(await both()).toEqual([500, 500]);
});

test('taking many tokens at once (estimated objects) answers as the in-memory store does', async () => {
  const clock = new ManualClock();
  const { limits } = await store({ clock });
  const memory = createMemoryLimitStore({ clock });
  const both = async (amount: number) => [await limits.take('w', 50_000, 200_000, amount), await memory.take('w', 50_000, 200_000, amount)];
  expect(await both(150_000)).toEqual([0, 0]);
  expect(await both(100_000)).toEqual([1000, 1000]);
  expect(await both(50_000)).toEqual([0, 0]);
  clock.advance(2000);
  expect(await both(100_000)).toEqual([0, 0]);
});

test('concurrency slots are counted across stores, released exactly once, and expire when never released', async () => {
  const clock = new ManualClock();
  const a = await store({ clock, slotTtlMs: 30_000 });
  // A second instance on the same key space.
  const b = new RedisLimitStore(connections[connections.length - 1]!, {
    clock,
    keyPrefix: `u${prefix}:`,
    slotTtlMs: 30_000,
    onError: 'local',
    fallback: createMemoryLimitStore({ clock }),
    log: createLogger('silent'),
  });
  const first = await a.limits.acquire('c', 2);
  const second = await b.acquire('c', 2);
  expect(first).not.toBeNull();
  expect(second).not.toBeNull();
  expect(await a.limits.acquire('c', 2)).toBeNull();
  first!();
  first!();
  // The release is not awaited (the request is over): wait until Redis holds one slot, no fewer.
  const connection = connections[connections.length - 1]!;
  await waitFor(async () => (await connection.client.zcard(`u${prefix}:limit:c`)) === 1, 2000, 'release');
  const third = await b.acquire('c', 2);
  expect(third).not.toBeNull();
  expect(await a.limits.acquire('c', 2)).toBeNull();
  // Holders that never release (a crashed instance): their slots are free once the TTL passed.
  clock.advance(30_001);
  expect(await a.limits.acquire('c', 2)).not.toBeNull();
  expect(await a.limits.acquire('c', 2)).not.toBeNull();
  expect(await a.limits.acquire('c', 2)).toBeNull();
});

test('while Redis does not answer: local counts in memory, open admits, closed refuses; never waits for Redis', async () => {
  // Nothing listens there: every command fails at once.
  const dead = 'redis://127.0.0.1:1';
  const local = await store({ url: dead, onError: 'local' });
  const open = await store({ url: dead, onError: 'open' });
  const closed = await store({ url: dead, onError: 'closed' });
  const started = performance.now();

  expect([await local.limits.take('k', 1, 1), await local.limits.take('k', 1, 1)]).toEqual([0, 1000]);
  expect(await local.limits.acquire('c', 1)).not.toBeNull();
  expect(await local.limits.acquire('c', 1)).toBeNull();

  expect([await open.limits.take('k', 1, 1), await open.limits.take('k', 1, 1)]).toEqual([0, 0]);
  expect(await open.limits.acquire('c', 0)).not.toBeNull();

  expect(await closed.limits.take('k', 1, 100)).toBe(1000);
  expect(await closed.limits.acquire('c', 100)).toBeNull();

  expect(performance.now() - started).toBeLessThan(200);
});

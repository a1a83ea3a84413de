import { CACHE_KEYS, MemoryCache } from '../../../src/cache/cross-request.js';
import { ManualClock } from '../../../src/clock.js';

test('entries are served for the TTL on the clock, then not', async () => {
  const clock = new ManualClock();
  const cache = new MemoryCache({ clock, ttlMs: 30_000, maxEntries: 10 });
  await cache.set(CACHE_KEYS.licenses('cus_1'), [{ id: 'lic_1' }]);
  clock.advance(29_999);
  expect(await cache.get(CACHE_KEYS.licenses('cus_1'))).toEqual([{ id: 'lic_1' }]);
  clock.advance(1);
  expect(await cache.get(CACHE_KEYS.licenses('cus_1'))).toBeUndefined();
  expect(cache.size).toBe(0);
});

test('a TTL of 0 stores nothing: every request reads the backend', async () => {
  const cache = new MemoryCache({ clock: new ManualClock(), ttlMs: 0, maxEntries: 10 });
  await cache.set('k', 1);
  expect(await cache.get('k')).toBeUndefined();
  expect(cache.enabled).toBe(false);
});

test('bounded: the least recently used entry goes first', async () => {
  const cache = new MemoryCache({ clock: new ManualClock(), ttlMs: 60_000, maxEntries: 3 });
  for (const key of ['a', 'b', 'c']) await cache.set(key, key);
  expect(await cache.get('a')).toBe('a'); // a is now the most recently used
  await cache.set('d', 'd');
  expect(cache.size).toBe(3);
  expect(await cache.get('b')).toBeUndefined();
  expect(await cache.get('a')).toBe('a');
  expect(await cache.get('d')).toBe('d');
});

test('invalidation drops exactly the keys named', async () => {
  const cache = new MemoryCache({ clock: new ManualClock(), ttlMs: 60_000, maxEntries: 10 });
  await cache.set(CACHE_KEYS.licenses('cus_1'), 1);
  await cache.set(CACHE_KEYS.licenses('cus_2'), 2);
  await cache.invalidate([CACHE_KEYS.licenses('cus_1')]);
  expect(await cache.get(CACHE_KEYS.licenses('cus_1'))).toBeUndefined();
  expect(await cache.get(CACHE_KEYS.licenses('cus_2'))).toBe(2);
});

/**
 * The in-memory limit store: concurrency slots, token buckets on a hand-moved clock, and
 * memory that stays bounded whatever the number of keys. Time only moves by `advance`.
 */
import { ManualClock } from '../../../src/clock.js';
import { mulberry32 } from '../../../src/demo/random.js';
import { createMemoryLimitStore, type MemoryLimitStore } from '../../../src/limits/limit-store.js';

let clock: ManualClock;
let store: MemoryLimitStore;

beforeEach(() => {
  clock = new ManualClock();
  store = createMemoryLimitStore({ clock });
});

afterEach(() => {
  // The store never schedules anything: nothing may be left behind.
  expect(clock.pending).toBe(0);
});

describe('concurrency slots', () => {
  test('up to `limit` holders per key; the next one is refused until a slot is released', async () => {
    const first = await store.acquire('tenant-a', 2);
    const second = await store.acquire('tenant-a', 2);
    expect(first).toEqual(expect.any(Function));
    expect(second).toEqual(expect.any(Function));
    expect(await store.acquire('tenant-a', 2)).toBeNull();
    // Another key has its own slots.
    expect(await store.acquire('tenant-b', 2)).not.toBeNull();
    first!();
    const third = await store.acquire('tenant-a', 2);
    expect(third).not.toBeNull();
    expect(await store.acquire('tenant-a', 2)).toBeNull();
  });

  test('release is idempotent: a second call does not free someone else’s slot', async () => {
    const first = await store.acquire('k', 1);
    first!();
    first!();
    const second = await store.acquire('k', 1);
    expect(second).not.toBeNull();
    first!(); // a stale release after the slot changed hands
    expect(await store.acquire('k', 1)).toBeNull();
    second!();
    expect(await store.acquire('k', 1)).not.toBeNull();
  });

  test('a limit of 0 admits nobody; a negative limit is a bug', async () => {
    expect(await store.acquire('k', 0)).toBeNull();
    expect(() => store.acquire('k', -1)).toThrow(RangeError);
  });

  test('a key disappears with its last holder', async () => {
    const releases = await Promise.all(Array.from({ length: 3 }, (_, i) => store.acquire(`k${i}`, 5)));
    expect(store.size.slots).toBe(3);
    for (const release of releases) release!();
    expect(store.size.slots).toBe(0);
  });
});

describe('token buckets', () => {
  test('a new key gets a full burst, then waits for the refill', async () => {
    for (let i = 0; i < 5; i++) expect(await store.take('k', 2, 5)).toBe(0);
    // 2 tokens per second: the next one is 500 ms away.
    expect(await store.take('k', 2, 5)).toBe(500);
    clock.advance(499);
    expect(await store.take('k', 2, 5)).toBe(1);
    clock.advance(1);
    expect(await store.take('k', 2, 5)).toBe(0);
    expect(await store.take('k', 2, 5)).toBe(500);
  });

  test('a refused take consumes nothing: retrying after the announced wait succeeds', async () => {
    await store.take('k', 3, 1);
    const wait = await store.take('k', 3, 1);
    expect(wait).toBe(334); // ceil(1000 / 3)
    expect(await store.take('k', 3, 1)).toBe(334); // still the same: the refusals took nothing
    clock.advance(wait);
    expect(await store.take('k', 3, 1)).toBe(0);
  });

  test('refill is proportional to moved time and capped at the burst', async () => {
    for (let i = 0; i < 4; i++) await store.take('k', 10, 4);
    expect(await store.take('k', 10, 4)).toBe(100);
    clock.advance(250); // 2.5 tokens
    expect(await store.take('k', 10, 4)).toBe(0);
    expect(await store.take('k', 10, 4)).toBe(0);
    expect(await store.take('k', 10, 4)).toBe(50); // 0.5 left: half a token to go
    clock.advance(60_000); // a minute refills far beyond the burst, which caps it
    for (let i = 0; i < 4; i++) expect(await store.take('k', 10, 4)).toBe(0);
    expect(await store.take('k', 10, 4)).toBeGreaterThan(0);
  });

  test('slow rates give long waits, in whole milliseconds', async () => {
    await store.take('k', 1 / 60, 1); // one per minute
    expect(await store.take('k', 1 / 60, 1)).toBe(60_000);
    clock.advance(59_999);
    expect(await store.take('k', 1 / 60, 1)).toBe(1);
  });

  test('over any run, grants never exceed the burst plus what the rate refilled', async () => {
    const random = mulberry32(42);
    const rate = 5;
    const burst = 8;
    const start = clock.now();
    let granted = 0;
    for (let i = 0; i < 5000; i++) {
      clock.advance(Math.floor(random() * 120));
      const wait = await store.take('k', rate, burst);
      if (wait === 0) granted++;
      const elapsed = clock.now() - start;
      expect(granted).toBeLessThanOrEqual(burst + Math.floor((elapsed * rate) / 1000));
    }
    // ...and the bucket is not stingy either: at ~60 ms between requests (16/s asked, 5/s
    // allowed) it grants about what the rate allows.
    const elapsed = clock.now() - start;
    expect(granted).toBeGreaterThanOrEqual(Math.floor((elapsed * rate) / 1000));
  });

  test('keys do not share tokens', async () => {
    await store.take('a', 1, 1);
    expect(await store.take('a', 1, 1)).toBeGreaterThan(0);
    expect(await store.take('b', 1, 1)).toBe(0);
  });

  test('invalid rates and bursts are bugs', async () => {
    expect(() => store.take('k', 0, 1)).toThrow(RangeError);
    expect(() => store.take('k', 1, 0)).toThrow(RangeError);
    expect(() => store.take('k', Number.NaN, 1)).toThrow(RangeError);
  });
});

describe('memory stays bounded', () => {
  test('100,000 distinct bucket keys never hold more than maxKeys entries', async () => {
    const bounded = createMemoryLimitStore({ clock, maxKeys: 1000 });
    let largest = 0;
    for (let i = 0; i < 100_000; i++) {
      await bounded.take(`attacker-${i}`, 1, 10);
      if (i % 1000 === 0) largest = Math.max(largest, bounded.size.buckets);
    }
    largest = Math.max(largest, bounded.size.buckets);
    expect(largest).toBeLessThanOrEqual(1000);
    expect(largest).toBeGreaterThan(900); // the bound is what limits it here, nothing else
  });

  test('buckets that have refilled are dropped as soon as anything happens', async () => {
    for (let i = 0; i < 500; i++) await store.take(`k${i}`, 10, 5);
    expect(store.size.buckets).toBe(500);
    clock.advance(100); // 1 token each: back to full (5 - 1 + 1)
    await store.take('other', 10, 5);
    expect(store.size.buckets).toBe(1);
  });

  test('a busy key is not evicted by a flood of new keys (least recently used goes first)', async () => {
    const bounded = createMemoryLimitStore({ clock, maxKeys: 10 });
    for (let i = 0; i < 3; i++) await bounded.take('busy', 1, 3);
    expect(await bounded.take('busy', 1, 3)).toBeGreaterThan(0);
    for (let i = 0; i < 100; i++) {
      await bounded.take(`flood-${i}`, 1, 3);
      // The busy key keeps asking, so it stays recently used and keeps its (empty) bucket.
      expect(await bounded.take('busy', 1, 3)).toBeGreaterThan(0);
    }
    expect(bounded.size.buckets).toBeLessThanOrEqual(10);
  });

  test('an evicted key starts over with a full burst (the documented cost of the bound)', async () => {
    const bounded = createMemoryLimitStore({ clock, maxKeys: 2 });
    await bounded.take('a', 1, 1);
    expect(await bounded.take('a', 1, 1)).toBeGreaterThan(0);
    await bounded.take('b', 1, 1);
    await bounded.take('c', 1, 1); // 'a' is the least recently used: evicted
    expect(await bounded.take('a', 1, 1)).toBe(0);
  });

  test('slots fail closed at maxKeys distinct holders, and reopen on release', async () => {
    const bounded = createMemoryLimitStore({ clock, maxKeys: 3 });
    const held = await Promise.all(['a', 'b', 'c'].map((key) => bounded.acquire(key, 10)));
    expect(await bounded.acquire('d', 10)).toBeNull();
    // Existing keys still get their slots.
    expect(await bounded.acquire('a', 10)).not.toBeNull();
    held[1]!();
    expect(await bounded.acquire('d', 10)).not.toBeNull();
    expect(bounded.size.slots).toBe(3);
  });
});

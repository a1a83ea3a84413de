import { ManualClock } from '../../../src/clock.js';
import { loadConfig } from '../../../src/config.js';
import { RateLimitedError } from '../../../src/errors.js';
import { Admission } from '../../../src/limits/admission.js';
import { createMemoryLimitStore, type LimitStore } from '../../../src/limits/limit-store.js';

const limits = loadConfig({
  RATE_LIMIT_CALLER_PER_SECOND: '1',
  RATE_LIMIT_CALLER_BURST: '2',
  RATE_LIMIT_CALLER_CONCURRENCY: '1',
  RATE_LIMIT_CUSTOMER_CONCURRENCY: '1',
}).fairShare;

/** The same store behind promises, as a shared one (Redis) answers. */
function asynchronous(store: LimitStore): LimitStore {
  return {
    acquire: async (key, limit) => store.acquire(key, limit),
    take: async (key, rate, burst, amount) => store.take(key, rate, burst, amount),
  };
}

test('from the in-memory store every answer is there at once: no promise, no turn of the event loop', () => {
  const admission = new Admission(createMemoryLimitStore({ clock: new ManualClock() }), limits);
  expect(admission.takeCallerRate('alice')).toBeNull();
  const slot = admission.acquireCallerSlot('alice');
  expect(typeof slot).toBe('function');
  expect(admission.admitCallerWork('alice', 1)).toBeNull();
  expect(typeof admission.admitCustomer('acme')).toBe('function');
  expect(admission.admitCustomerWork('acme', 1)).toBeNull();
  // Refusals too: the second slot of a caller limited to one is refused by a throw, as before.
  expect(() => admission.acquireCallerSlot('alice')).toThrow(RateLimitedError);
  expect(admission.admitCustomer('acme')).toBeInstanceOf(RateLimitedError);
});

test('a store that answers with promises gives the same answers, as promises', async () => {
  const sync = new Admission(createMemoryLimitStore({ clock: new ManualClock() }), limits);
  const async = new Admission(asynchronous(createMemoryLimitStore({ clock: new ManualClock() })), limits);
  const rates: unknown[][] = [[], []];
  for (const [i, admission] of [sync, async].entries()) {
    for (let n = 0; n < 3; n++) {
      const answer = admission.takeCallerRate('bob');
      expect(answer instanceof Promise).toBe(admission === async);
      const refused = await answer;
      rates[i]!.push(refused === null ? 'admitted' : refused.extensions.code);
    }
  }
  expect(rates[0]).toEqual(['admitted', 'admitted', 'RATE_LIMITED']);
  expect(rates[1]).toEqual(rates[0]);
  const release = await async.acquireCallerSlot('bob');
  await expect(async.acquireCallerSlot('bob')).rejects.toThrow(RateLimitedError);
  release();
  expect(typeof (await async.acquireCallerSlot('bob'))).toBe('function');
});

/**
 * Entitlements follow the license service's current state: a license expiring or being
 * granted takes effect on the next request, with the same token. With the cross-request cache
 * on, it takes effect once the cache's time-to-live has passed (on the stack's clock), never
 * later; license dates are still judged on every request.
 */
import { ManualClock } from '../../src/clock.js';
import { DEMO_PRODUCTS } from '../../src/demo/world.js';
import { codes, errorAt, startStack, type TestStack } from '../helpers/stack.js';
import { worldFacts } from '../helpers/world.js';

describe.each([
  { title: 'without a cross-request cache', ttlSeconds: 0 },
  { title: 'with the cross-request cache on (30 s)', ttlSeconds: 30 },
])('$title', ({ ttlSeconds }) => {
  let stack: TestStack;
  let facts: ReturnType<typeof worldFacts>;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = new ManualClock(Date.now());
    stack = await startStack({ clock, env: { IDENTITY_CACHE_TTL_SECONDS: String(ttlSeconds) } });
    facts = worldFacts(stack.world);
  });
  afterAll(() => stack.stop());

  /** After a change upstream: the cache (when on) serves what it holds until its TTL has passed. */
  const afterChange = () => clock.advance(ttlSeconds * 1000 + 1);

  const USAGE = `{ viewer { entitlements customer { usage { apiCalls forecast { apiCalls } } } } }`;
  const DAY = 86_400_000;

  async function licenses(method: 'POST' | 'PATCH', path: string, body: unknown) {
    const response = await fetch(`${stack.demo.urls.licenses}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.ok).toBe(true);
    return response.json();
  }

  test('an expired license is revoked at the next request with the same token, and restored when renewed', async () => {
    const token = await stack.token('alice');
    const analytics = facts.licenseOf(facts.acme.id, 'analytics');
    const validUntil = analytics.validUntil;

    const before = await stack.gql(USAGE, { token });
    expect(before.data!.viewer.entitlements).toContain('usage-analytics');
    expect(before.data!.viewer.customer.usage.forecast).not.toBeNull();

    await licenses('PATCH', `/licenses/${analytics.id}`, { validUntil: new Date(Date.now() - DAY).toISOString() });
    afterChange();
    try {
      const expired = await stack.gql(USAGE, { token });
      expect(expired.data!.viewer.entitlements).toEqual(['core-api', 'sso']);
      expect(expired.data!.viewer.customer.usage).toBeNull();
      expect(errorAt(expired, 'viewer.customer.usage')?.extensions).toMatchObject({ code: 'LICENSE_REQUIRED', feature: 'usage-analytics' });
    } finally {
      await licenses('PATCH', `/licenses/${analytics.id}`, { validUntil });
    }
    afterChange();
    const renewed = await stack.gql(USAGE, { token });
    expect(renewed.errors).toBeUndefined();
    expect(renewed.data!.viewer.customer.usage.apiCalls).toBeGreaterThan(0);
  });

  test('a license granted to initech takes effect for mallory without a new token', async () => {
    const token = await stack.token('mallory');
    const before = await stack.gql(USAGE, { token });
    expect(codes(before)).toEqual(['LICENSE_REQUIRED']);

    // Grant usage analytics only: forecasting stays gated, with its own feature named.
    await licenses('POST', '/licenses', {
      customerId: facts.initech.id,
      productId: DEMO_PRODUCTS.analytics.id,
      productName: 'Analytics Suite (usage only)',
      features: ['usage-analytics'],
      seats: 5,
      validFrom: new Date(Date.now() - DAY).toISOString(),
      validUntil: new Date(Date.now() + 30 * DAY).toISOString(),
    });
    afterChange();
    const after = await stack.gql(USAGE, { token });
    expect(after.data!.viewer.entitlements).toEqual(['core-api', 'sso', 'usage-analytics']);
    expect(after.data!.viewer.customer.usage.apiCalls).toBeGreaterThan(0);
    expect(after.data!.viewer.customer.usage.forecast).toBeNull();
    expect(errorAt(after, 'viewer.customer.usage.forecast')?.extensions).toMatchObject({
      code: 'LICENSE_REQUIRED',
      feature: 'forecasting',
    });
  });

  test('a license that has not started yet grants nothing', async () => {
    const token = await stack.token('carol');
    await licenses('POST', '/licenses', {
      customerId: facts.globex.id,
      productId: DEMO_PRODUCTS.analytics.id,
      productName: 'Analytics Suite',
      features: ['usage-analytics', 'forecasting'],
      seats: 5,
      validFrom: new Date(Date.now() + DAY).toISOString(),
      validUntil: new Date(Date.now() + 30 * DAY).toISOString(),
    });
    afterChange();
    const result = await stack.gql(USAGE, { token });
    expect(result.data!.viewer.entitlements).toEqual(['core-api', 'sso']);
    expect(codes(result)).toEqual(['LICENSE_REQUIRED']);
  });
});

test('with the cache on, repeated requests of a caller skip the identity and license lookups until the TTL passes', async () => {
  const clock = new ManualClock(Date.now());
  const stack = await startStack({ clock, env: { IDENTITY_CACHE_TTL_SECONDS: '30' } });
  try {
    const token = await stack.token('alice');
    const lookups = () =>
      (stack.demo.customers.stats.byOperation['POST /users/by-subject'] ?? 0) +
      (stack.demo.licenses.stats.byOperation['POST /licenses/by-customer'] ?? 0);
    const query = `{ viewer { entitlements customer { usage { apiCalls } } } }`;
    await stack.gql(query, { token });
    const first = lookups();
    expect(first).toBe(2);
    await stack.gql(query, { token });
    expect(lookups()).toBe(first);
    clock.advance(30_001);
    await stack.gql(query, { token });
    expect(lookups()).toBe(first + 2);
  } finally {
    await stack.stop();
  }
});

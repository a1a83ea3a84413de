/**
 * Entitlements follow the license service's current state: a license expiring or being
 * granted takes effect on the next request, with the same token (no cross-request cache).
 */
import { DEMO_PRODUCTS } from '../../src/demo/world.js';
import { codes, errorAt, startStack, type TestStack } from '../helpers/stack.js';
import { worldFacts } from '../helpers/world.js';

let stack: TestStack;
let facts: ReturnType<typeof worldFacts>;
beforeAll(async () => {
  stack = await startStack();
  facts = worldFacts(stack.world);
});
afterAll(() => stack.stop());

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
  try {
    const expired = await stack.gql(USAGE, { token });
    expect(expired.data!.viewer.entitlements).toEqual(['core-api', 'sso']);
    expect(expired.data!.viewer.customer.usage).toBeNull();
    expect(errorAt(expired, 'viewer.customer.usage')?.extensions).toMatchObject({ code: 'LICENSE_REQUIRED', feature: 'usage-analytics' });
  } finally {
    await licenses('PATCH', `/licenses/${analytics.id}`, { validUntil });
  }
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
  const after = await stack.gql(USAGE, { token });
  expect(after.data!.viewer.entitlements).toEqual(['core-api', 'sso', 'usage-analytics']);
  expect(after.data!.viewer.customer.usage.apiCalls).toBeGreaterThan(0);
  expect(after.data!.viewer.customer.usage.forecast).toBeNull();
  expect(errorAt(after, 'viewer.customer.usage.forecast')?.extensions).toMatchObject({ code: 'LICENSE_REQUIRED', feature: 'forecasting' });
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
  const result = await stack.gql(USAGE, { token });
  expect(result.data!.viewer.entitlements).toEqual(['core-api', 'sso']);
  expect(codes(result)).toEqual(['LICENSE_REQUIRED']);
});

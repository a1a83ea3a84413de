/** Authentication over real HTTP: 401 for missing or bad tokens, with no upstream call at all. */
import { createDevIssuer } from '../../src/demo/dev-issuer.js';
import { startStack, type TestStack } from '../helpers/stack.js';
import { worldFacts } from '../helpers/world.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const QUERY = `{ viewer { subject customer { name } } }`;

async function expect401(token: string | null, header?: string) {
  stack.demo.resetStats();
  const result = await stack.gql(QUERY, {
    token: header === undefined ? token : null,
    headers: header === undefined ? {} : { authorization: header },
  });
  expect(result.status).toBe(401);
  expect(result.data).toBeUndefined();
  expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  expect(result.headers.get('www-authenticate')).toBe('Bearer');
  expect(result.text).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/);
  expect(stack.demo.totalRequests()).toBe(0);
  return result;
}

test('no token: 401 UNAUTHENTICATED, no upstream call', async () => {
  const result = await expect401(null);
  expect(result.errors![0]!.message).toMatch(/access token is required/);
});

test('an expired token: 401, no upstream call', async () => {
  await expect401(await stack.token('alice', { ttlSeconds: -60 }));
});

test('a token signed by another key: 401', async () => {
  const stranger = await createDevIssuer({ keyFile: null });
  await expect401(await stranger.signPersona('alice'));
});

test('a token for another audience: 401', async () => {
  await expect401(await stack.token('alice', { audience: 'https://other.example/api' }));
});

test('a token from another issuer: 401', async () => {
  await expect401(await stack.token('alice', { issuer: 'https://evil.example/' }));
});

test.each([['Basic YWxpY2U6c2VjcmV0'], ['Bearer'], ['Bearer not-a-jwt'], ['Bearer a.b.c d']])(
  'malformed Authorization header %j: 401',
  async (header) => {
    await expect401(null, header);
  },
);

test('the scheme is case-insensitive (RFC 6750)', async () => {
  const token = await stack.token('alice');
  const result = await stack.gql(QUERY, { token: null, headers: { authorization: `bearer ${token}` } });
  expect(result.status).toBe(200);
  expect(result.data!.viewer.subject).toBe('auth0|alice');
});

// A verified token is found again by its exact header, `Bearer <token>`, without parsing: any
// other form must still be read (and refused) exactly as the first time.
test('a verified token in another header form: read as the first time, refused when malformed', async () => {
  const token = await stack.token('alice');
  expect((await stack.gql(QUERY, { token })).status).toBe(200);
  for (const header of [`Bearer  ${token}`, `BEARER ${token}`]) {
    const result = await stack.gql(QUERY, { token: null, headers: { authorization: header } });
    expect(result.status).toBe(200);
    expect(result.data!.viewer.subject).toBe('auth0|alice');
  }
  for (const header of [`Bearer ${token} x`, `Bearer ${token}.x`, `Bearer\t${token}`]) await expect401(null, header);
});

test('a valid token within the clock tolerance is accepted', async () => {
  const result = await stack.gql(QUERY, { token: await stack.token('alice', { ttlSeconds: -2 }) });
  expect(result.status).toBe(200);
});

test('a namespaced user-id claim identifies the business user (the subject is checked in the same wave)', async () => {
  const { alice } = worldFacts(stack.world);
  const token = await stack.token('alice', { claims: { 'https://bff.example.com/user_id': alice.id } });
  stack.demo.resetStats();
  const result = await stack.gql(QUERY, { token });
  expect(result.data!.viewer.customer.name).toBe('Acme Corp');
  expect(stack.demo.customers.stats.byOperation['POST /users/by-subject']).toBe(1);
  expect(stack.demo.customers.stats.byOperation['POST /users/batch-get']).toBe(1);
});

test('a user-id claim naming somebody else is not trusted: the caller is nobody', async () => {
  const { carol } = worldFacts(stack.world);
  const token = await stack.token('alice', { claims: { 'https://bff.example.com/user_id': carol.id } });
  const result = await stack.gql(QUERY, { token });
  expect(result.data!.viewer.customer).toBeNull();
});

test('by default only the permissions claim (Auth0 RBAC) carries permissions: scope does not', async () => {
  const token = await stack.issuer.sign(
    { scope: 'openid read:customers read:billing', permissions: ['read:licenses'] },
    { subject: 'auth0|alice' },
  );
  const result = await stack.gql(`{ viewer { permissions } }`, { token });
  expect(result.data!.viewer.permissions).toEqual(['read:licenses']);
});

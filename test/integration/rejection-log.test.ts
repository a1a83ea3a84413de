/**
 * Every 401 is logged with its reason (SECURITY.md promises it), at most once per reason per
 * window on the server's clock, with the count of the lines held back, and never the token.
 */
import { SignJWT } from 'jose';
import { ManualClock } from '../../src/clock.js';
import { createTestKey, personaClaims } from '../helpers/jwks-server.js';
import { startStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
let clock: ManualClock;
beforeAll(async () => {
  clock = new ManualClock(Date.now());
  stack = await startStack({
    clock,
    env: { AUTH_REQUIRE_AT_JWT: 'true', AUTH_REJECTION_LOG_WINDOW_SECONDS: '60', AUTH_TOKEN_CACHE_SIZE: '0' },
  });
});
afterAll(() => stack.stop());

const QUERY = '{ viewer { subject } }';
const now = () => Math.floor(clock.now() / 1000);
const rejected = () => stack.logs.filter((line) => line.msg === 'auth.rejected');

test('each kind of refusal is logged with its reason; the client sees one message for all', async () => {
  const stranger = await createTestKey('stranger');
  const valid = await stack.token('bob');
  const [header, , signature] = valid.split('.');
  const tampered = `${header}.${Buffer.from(JSON.stringify({ ...personaClaims('dave'), iat: now(), exp: now() + 3600 })).toString('base64url')}.${signature}`;
  const hs256 = await new SignJWT(personaClaims('alice'))
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
    .setExpirationTime(now() + 3600)
    .sign(new TextEncoder().encode('secret'));
  const attempts: [string, Record<string, string>][] = [
    ['missing_token', {}],
    ['malformed', { authorization: 'Basic YWxpY2U6c2VjcmV0' }],
    ['malformed', { authorization: 'Bearer a.b.c' }],
    ['unknown_issuer', { authorization: `Bearer ${await stack.token('alice', { issuer: 'https://evil.example/' })}` }],
    ['audience', { authorization: `Bearer ${await stack.token('alice', { audience: 'https://other-api.example' })}` }],
    ['bad_signature', { authorization: `Bearer ${tampered}` }],
    ['unknown_key', { authorization: `Bearer ${await stranger.sign(personaClaims('alice'))}` }],
    ['expired', { authorization: `Bearer ${await stack.token('alice', { ttlSeconds: -600 })}` }],
    ['not_yet_valid', { authorization: `Bearer ${await stack.token('alice', { claims: { nbf: now() + 600 } })}` }],
    ['algorithm', { authorization: `Bearer ${hs256}` }],
    ['wrong_type', { authorization: `Bearer ${await stack.token('alice', { header: { typ: 'JWT' } })}` }],
    [
      'missing_claim',
      {
        authorization: `Bearer ${await stranger.sign(personaClaims('alice'), { ttlSeconds: null }).then(() => stack.issuer.sign({ azp: 'portal-app' }))}`,
      },
    ],
  ];
  stack.logs.length = 0;
  const messages = new Set<string>();
  for (const [, headers] of attempts) {
    const result = await stack.gql(QUERY, { token: null, headers });
    expect(result.status).toBe(401);
    messages.add(result.errors![0]!.extensions!.code as string);
  }
  expect([...messages]).toEqual(['UNAUTHENTICATED']);
  expect(rejected().map((line) => line.reason)).toEqual([...new Set(attempts.map(([reason]) => reason))]);
  // Never the token, nor its signature.
  for (const [, headers] of attempts) {
    const token = headers.authorization?.split(' ')[1];
    if (token && token.length > 20) expect(stack.rawLogs()).not.toContain(token.split('.')[2]);
  }
});

test('a flood of one reason costs one line per window; the next line reports how many were held back', async () => {
  clock.advance(60_000);
  stack.logs.length = 0;
  for (let i = 0; i < 5; i++) await stack.gql(QUERY, { token: await stack.token('alice', { ttlSeconds: -600, claims: { jti: `e${i}` } }) });
  await stack.gql(QUERY, { token: null });
  expect(rejected()).toEqual([
    expect.objectContaining({ level: 'info', reason: 'expired', suppressed: 0, windowSeconds: 60 }),
    expect.objectContaining({ level: 'info', reason: 'missing_token', suppressed: 0 }),
  ]);

  clock.advance(59_000);
  await stack.gql(QUERY, { token: await stack.token('alice', { ttlSeconds: -600 }) });
  expect(rejected()).toHaveLength(2);

  clock.advance(1_000);
  await stack.gql(QUERY, { token: await stack.token('alice', { ttlSeconds: -600 }) });
  expect(rejected()[2]).toMatchObject({ reason: 'expired', suppressed: 5 });
});

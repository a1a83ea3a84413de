/**
 * Hostile tokens: every way a forged, misdirected or malformed bearer token is refused with
 * the same 401 and nothing about why (the reason is for the server log only).
 */
import { exportSPKI, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { DEV_AUDIENCE, DEV_ISSUER } from '../../src/demo/dev-issuer.js';
import { createTestKey, personaClaims, startJwksServer, type JwksServer, type TestKey } from '../helpers/jwks-server.js';
import { startStack, type TestStack } from '../helpers/stack.js';
import { expectNoLeak, expectUnauthenticated } from './leaks.js';

let stack: TestStack;
let jwks: JwksServer;
let attacker: JwksServer;
let key: TestKey;
let attackerKey: TestKey;

const QUERY = '{ viewer { subject } }';

beforeAll(async () => {
  key = await createTestKey('issuer-key-1');
  attackerKey = await createTestKey('attacker-key');
  jwks = await startJwksServer([key.publicJwk]);
  attacker = await startJwksServer([attackerKey.publicJwk]);
  stack = await startStack({ jwksUrl: jwks.url, env: { AUTH_REQUIRE_AT_JWT: 'true', AUTH_CLOCK_TOLERANCE_SECONDS: '5' } });
});
afterAll(async () => {
  await stack.stop();
  await jwks.close();
  await attacker.close();
});
beforeEach(() => {
  jwks.reset();
  attacker.reset();
});

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

test('baseline: a well-formed at+jwt access token from the issuer is accepted', async () => {
  const result = await stack.gql(QUERY, { token: await key.sign(personaClaims('alice')) });
  expect(result.status).toBe(200);
  expect(result.data).toEqual({ viewer: { subject: 'auth0|alice' } });
});

test('alg "none" (unsigned token) is refused', async () => {
  const header = { alg: 'none', typ: 'at+jwt', kid: key.kid };
  const payload = { ...personaClaims('dave'), iss: DEV_ISSUER, aud: DEV_AUDIENCE, iat: now(), exp: now() + 3600 };
  for (const token of [`${b64url(header)}.${b64url(payload)}.`, `${b64url({ ...header, alg: 'None' })}.${b64url(payload)}.`]) {
    expectUnauthenticated(await stack.gql(QUERY, { token }));
  }
});

test('HS256 signed with the issuer RSA public key as HMAC secret (key confusion) is refused', async () => {
  const pem = await exportSPKI((await importJWK(key.publicJwk, 'RS256')) as CryptoKey);
  const claims = { ...personaClaims('dave') };
  for (const secret of [pem, JSON.stringify(key.publicJwk), key.publicJwk.n!]) {
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'at+jwt' })
      .setIssuer(DEV_ISSUER)
      .setAudience(DEV_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    expectUnauthenticated(await stack.gql(QUERY, { token }));
  }
});

test('a token from another issuer is refused, even signed with a key the JWKS serves', async () => {
  // Only the trailing slash is not significant (auth0-issuers.test.ts): a look-alike host or
  // another path on the issuer's host is another issuer.
  for (const issuer of [
    'https://evil.example/',
    'https://dev-issuer.bff.localhost.evil.example/',
    `${DEV_ISSUER}other/`,
    'dev-issuer.bff.localhost',
  ]) {
    expectUnauthenticated(await stack.gql(QUERY, { token: await key.sign(personaClaims('alice'), { issuer }) }));
  }
  expect(jwks.requests).toBe(0);
});

test('a token for another audience is refused', async () => {
  expectUnauthenticated(
    await stack.gql(QUERY, { token: await key.sign(personaClaims('alice'), { audience: 'https://other-api.example.com' }) }),
  );
});

test('a token without exp is refused', async () => {
  expectUnauthenticated(await stack.gql(QUERY, { token: await key.sign(personaClaims('alice'), { ttlSeconds: null }) }));
});

test('a token expired beyond the clock tolerance is refused', async () => {
  const expired = await key.sign({ ...personaClaims('alice'), iat: now() - 3600 }, { ttlSeconds: -60 });
  expectUnauthenticated(await stack.gql(QUERY, { token: expired }));
});

test('a token expired within the clock tolerance (5 s) is still accepted', async () => {
  const result = await stack.gql(QUERY, { token: await key.sign(personaClaims('alice'), { ttlSeconds: -2 }) });
  expect(result.status).toBe(200);
});

test('a token whose nbf is in the future is refused', async () => {
  expectUnauthenticated(await stack.gql(QUERY, { token: await key.sign({ ...personaClaims('alice'), nbf: now() + 120 }) }));
});

test('an ID token (typ JWT, or no typ) offered as an access token is refused (RFC 9068 typ at+jwt)', async () => {
  const claims = { ...personaClaims('alice'), nonce: 'n-0S6_WzA2Mj', email: 'alice@acme.example' };
  expectUnauthenticated(await stack.gql(QUERY, { token: await key.sign(claims, { header: { typ: 'JWT' } }) }));
  expectUnauthenticated(await stack.gql(QUERY, { token: await key.sign(claims, { header: { typ: undefined } }) }));
  expectUnauthenticated(await stack.gql(QUERY, { token: await key.sign(claims, { header: { typ: 'JWT' }, audience: 'portal-app' }) }));
});

test('garbage tokens are refused with 401, never a 500', async () => {
  const garbage = [
    'garbage',
    'a.b.c',
    'a.b.',
    '..',
    '....',
    `${b64url('{"alg":')}.${b64url('{}')}.sig`,
    `${b64url('[]')}.${b64url('[]')}.${b64url('x')}`,
    `${b64url({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' })}.${b64url('not json')}.${b64url('sig')}`,
    `${b64url({ alg: 'RS256', kid: key.kid, typ: 'at+jwt', crit: ['exp'] })}.${b64url({ sub: 'x' })}.${b64url('sig')}`,
    `${b64url({ alg: 'RS256', kid: { $ne: 1 } })}.${b64url({})}.AAAA`,
    `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.${'A'.repeat(342)}`,
    '%00%00.%ff.%fe',
  ];
  for (const token of garbage) {
    const result = await stack.gql(QUERY, { headers: { authorization: `Bearer ${token}` }, token: null });
    expectUnauthenticated(result);
  }
  for (const header of ['Bearer', 'Bearer ', 'Basic YWxpY2U6c2VjcmV0', 'bearer\ta.b.c', 'Bearer a.b.c d.e.f', 'Token a.b.c']) {
    expectUnauthenticated(await stack.gql(QUERY, { headers: { authorization: header }, token: null }));
  }
  expect(jwks.requests).toBe(0);
});

test('a 10 KB token is refused before any crypto or key lookup', async () => {
  const valid = await key.sign({ ...personaClaims('alice'), padding: 'x'.repeat(10 * 1024) });
  expect(valid.length).toBeGreaterThan(10 * 1024);
  expectUnauthenticated(await stack.gql(QUERY, { token: valid }));
  expectUnauthenticated(await stack.gql(QUERY, { token: `${'A'.repeat(5000)}.${'B'.repeat(5000)}.${'C'.repeat(500)}` }));
  expect(jwks.requests).toBe(0);
});

test('jku and x5u headers are ignored: no request leaves for the URL they name', async () => {
  for (const header of [
    { jku: attacker.url, kid: attackerKey.kid },
    { x5u: `${attacker.origin}/cert.pem`, kid: attackerKey.kid },
    { jku: attacker.url, x5u: `${attacker.origin}/cert.pem`, kid: key.kid },
  ]) {
    const token = await attackerKey.sign(personaClaims('dave'), { header });
    expectUnauthenticated(await stack.gql(QUERY, { token }));
  }
  expect(attacker.requests).toBe(0);
});

test('an embedded jwk header is ignored: the attacker key it carries is never trusted', async () => {
  const embedded: JWK = { ...attackerKey.publicJwk };
  delete embedded.kid;
  for (const header of [{ jwk: embedded }, { jwk: embedded, kid: key.kid }, { jwk: attackerKey.publicJwk, kid: attackerKey.kid }]) {
    const token = await attackerKey.sign(personaClaims('dave'), { header });
    expectUnauthenticated(await stack.gql(QUERY, { token }));
  }
  expect(attacker.requests).toBe(0);
});

test('a tampered payload (permissions edited after signing) fails the signature check', async () => {
  const token = await key.sign(personaClaims('bob'));
  const [header, , signature] = token.split('.');
  const forged = `${header}.${b64url({ ...personaClaims('dave'), iss: DEV_ISSUER, aud: DEV_AUDIENCE, iat: now(), exp: now() + 3600 })}.${signature}`;
  expectUnauthenticated(await stack.gql(QUERY, { token: forged }));
});

test('a token without a usable subject is refused', async () => {
  const { sub: _sub, ...noSubject } = personaClaims('alice');
  expectUnauthenticated(await stack.gql(QUERY, { token: await key.sign(noSubject) }));
  expectUnauthenticated(await stack.gql(QUERY, { token: await key.sign({ ...noSubject, sub: 42 as unknown as string }) }));
  expectUnauthenticated(await stack.gql(QUERY, { token: await key.sign({ ...noSubject, sub: '' }) }));
});

test('no refusal says which check failed: all messages are identical', async () => {
  const tokens = [
    await key.sign(personaClaims('alice'), { audience: 'x' }),
    await key.sign(personaClaims('alice'), { ttlSeconds: -600 }),
    await attackerKey.sign(personaClaims('alice')),
    'a.b.c',
  ];
  const messages = new Set<string>();
  for (const token of tokens) {
    const result = await stack.gql(QUERY, { token });
    expectNoLeak(result, ['exp', 'aud', 'signature', 'kid']);
    messages.add(result.errors![0]!.message);
  }
  expect(messages.size).toBe(1);
});

/** Claims to principal: where permissions come from, which are honoured for which client, machines vs people. */
import { principalFromClaims } from '../../../src/auth/principal.js';
import { loadConfig } from '../../../src/config.js';

const policy = (env: Record<string, string> = {}) =>
  loadConfig({ AUTH_ISSUER: 'https://t.example/', AUTH_AUDIENCE: 'api', AUTH_JWKS_URL: 'https://t.example/jwks', ...env }).auth.claims;
const base = { iss: 'https://t.example/', sub: 'auth0|bob', azp: 'portal-app', exp: 2_000_000_000 };
const permissionsOf = (claims: Record<string, unknown>, env?: Record<string, string>) =>
  [...principalFromClaims({ ...base, ...claims }, policy(env)).permissions].sort();

test('by default only the permissions claim counts; scope and scp are ignored', () => {
  expect(permissionsOf({ permissions: ['read:customers'], scope: 'openid read:billing', scp: ['read:licenses'] })).toEqual([
    'read:customers',
  ]);
});

test('scope and scp count only when configured; scp may be an array or a string', () => {
  const env = { AUTH_PERMISSION_SOURCES: 'scope,scp' };
  expect(permissionsOf({ permissions: ['manage:licenses'], scope: 'read:billing', scp: ['read:licenses'] }, env)).toEqual([
    'read:billing',
    'read:licenses',
  ]);
  expect(permissionsOf({ scp: 'read:customers read:licenses' }, { AUTH_PERMISSION_SOURCES: 'scp' })).toEqual([
    'read:customers',
    'read:licenses',
  ]);
});

test('OIDC scopes never count as API permissions, from any source', () => {
  const claims = { scope: 'openid profile email address phone offline_access read:customers', permissions: ['openid', 'read:billing'] };
  expect(permissionsOf(claims, { AUTH_PERMISSION_SOURCES: 'permissions,scope' })).toEqual(['read:billing', 'read:customers']);
});

test('support:read is honoured only for the configured support clients, and withheld otherwise', () => {
  const env = { AUTH_SUPPORT_CLIENT_IDS: 'support-console' };
  const fromPortal = principalFromClaims({ ...base, permissions: ['support:read', 'read:customers'] }, policy(env));
  expect([...fromPortal.permissions]).toEqual(['read:customers']);
  expect(fromPortal.withheld).toEqual(['support:read']);
  const fromConsole = principalFromClaims({ ...base, azp: 'support-console', permissions: ['support:read'] }, policy(env));
  expect([...fromConsole.permissions]).toEqual(['support:read']);
  // RFC 9068's client_id names the client as well as Auth0's azp.
  const rfc9068 = principalFromClaims(
    { ...base, azp: undefined, client_id: 'support-console', permissions: ['support:read'] },
    policy(env),
  );
  expect([...rfc9068.permissions]).toEqual(['support:read']);
  // Nothing is trusted by default outside the demo world.
  expect([...principalFromClaims({ ...base, azp: 'support-console', permissions: ['support:read'] }, policy()).permissions]).toEqual([]);
});

test('machine tokens are recognised by gty or by the @clients subject, carry no identity, and need their own support list', () => {
  const env = { AUTH_SUPPORT_CLIENT_IDS: 'reporting-job' };
  const machine = {
    ...base,
    sub: 'reporting-job@clients',
    azp: 'reporting-job',
    gty: 'client-credentials',
    permissions: ['support:read', 'read:customers'],
    'https://bff.example.com/user_id': 'usr_x',
    org_id: 'org_x',
  };
  const principal = principalFromClaims(machine, policy(env));
  expect(principal).toMatchObject({ kind: 'machine', claimedUserId: null, claimedCustomerId: null, organizationId: null });
  // The user-token list does not cover machines.
  expect([...principal.permissions]).toEqual(['read:customers']);
  expect(principalFromClaims({ ...machine, gty: undefined }, policy(env)).kind).toBe('machine');
  const allowed = principalFromClaims(machine, policy({ AUTH_MACHINE_SUPPORT_CLIENT_IDS: 'reporting-job' }));
  expect([...allowed.permissions].sort()).toEqual(['read:customers', 'support:read']);
});

test('the organization claim is read when organizations are on, and ignored when off', () => {
  expect(principalFromClaims({ ...base, org_id: 'org_1' }, policy()).organizationId).toBe('org_1');
  expect(principalFromClaims({ ...base, org_id: 'org_1' }, policy({ AUTH_ORGANIZATIONS: 'false' })).organizationId).toBeNull();
  expect(principalFromClaims({ ...base, tenant: 'org_2' }, policy({ AUTH_ORGANIZATION_CLAIM: 'tenant' })).organizationId).toBe('org_2');
});

/**
 * Where permissions come from, with tokens shaped exactly like Auth0's, over real HTTP against
 * the BFF in production mode: the escalation attempts of issue 10 (a requested scope, a
 * permission from the wrong application, a machine token) are refused; what is configured is
 * honoured.
 */
import { ManualClock } from '../../src/clock.js';
import { personaUser } from '../../src/demo/world.js';
import { errorAt, PRODUCTION, startStack, type TestStack } from '../helpers/stack.js';
import { worldFacts } from '../helpers/world.js';

const PROBE = `query($g: ID!, $gi: ID!) {
  viewer { subject permissions isSupportStaff user { id } customer { id } }
  globex: customer(id: $g) { id name }
  globexInvoice: invoice(id: $gi) { id number }
}`;

describe('default policy: permissions claim only, support:read only from the support console', () => {
  let stack: TestStack;
  let vars: { g: string; gi: string };
  beforeAll(async () => {
    stack = await startStack({ env: PRODUCTION });
    const facts = worldFacts(stack.world);
    vars = { g: facts.globex.id, gi: facts.invoicesOf(facts.globex.id)[0]!.id };
  });
  afterAll(() => stack.stop());

  test('bob requesting scope "openid profile support:read" reads nothing of Globex', async () => {
    // With Auth0 RBAC off, an application gets whatever API scope it asks for.
    const token = await stack.token('bob', { claims: { scope: 'openid profile support:read' } });
    const result = await stack.gql(PROBE, { token, variables: vars });
    expect(result.status).toBe(200);
    expect(result.data!.viewer).toMatchObject({ permissions: ['read:customers', 'read:licenses'], isSupportStaff: false });
    expect(result.data!.globex).toBeNull();
    expect(result.data!.globexInvoice).toBeNull();
    expect(errorAt(result, 'globexInvoice')?.extensions?.code).toBe('FORBIDDEN');
  });

  test('support:read in the permissions claim from the portal app is withheld', async () => {
    const token = await stack.token('bob', { claims: { permissions: ['read:customers', 'read:billing', 'support:read'] } });
    const result = await stack.gql(PROBE, { token, variables: vars });
    expect(result.data!.viewer).toMatchObject({ isSupportStaff: false, permissions: ['read:billing', 'read:customers'] });
    expect(result.data!.globex).toBeNull();
    expect(result.data!.globexInvoice).toBeNull();
  });

  test('dave from the support console reads Globex; the same permission from another app does not', async () => {
    const console = await stack.gql(PROBE, { persona: 'dave', variables: vars });
    expect(console.data!.viewer.isSupportStaff).toBe(true);
    expect(console.data!.globex).toEqual({ id: vars.g, name: 'Globex' });
    expect(console.data!.globexInvoice.id).toBe(vars.gi);

    const elsewhere = await stack.gql(PROBE, { token: await stack.token('dave', { claims: { azp: 'portal-app' } }), variables: vars });
    expect(elsewhere.data!.viewer).toMatchObject({ isSupportStaff: false, permissions: [] });
    expect(elsewhere.data!.globex).toBeNull();
    expect(elsewhere.data!.globexInvoice).toBeNull();
  });

  test('Viewer.permissions lists API permissions only, never openid, profile, email or offline_access', async () => {
    const token = await stack.token('alice', { claims: { scope: 'openid profile email offline_access' } });
    const result = await stack.gql('{ viewer { permissions } }', { token });
    expect(result.data!.viewer.permissions).toEqual(['manage:licenses', 'read:billing', 'read:customers', 'read:licenses']);
  });

  test('a machine token with support:read acts for nobody: no customer data, and no identity lookup', async () => {
    const { acme } = worldFacts(stack.world);
    const token = await stack.issuer.signMachine('reporting-job', ['read:customers', 'read:billing', 'support:read'], {
      // Identity claims in a machine token describe nobody.
      claims: { 'https://bff.example.com/user_id': personaUser(stack.world, 'alice').id },
    });
    stack.demo.resetStats();
    const result = await stack.gql(
      `${PROBE.replace('query($g: ID!, $gi: ID!) {', 'query($g: ID!, $gi: ID!, $a: ID!) { acme: customer(id: $a) { id }')}`,
      {
        token,
        variables: { ...vars, a: acme.id },
      },
    );
    expect(result.status).toBe(200);
    expect(result.data!.viewer).toEqual({
      subject: 'reporting-job@clients',
      permissions: ['read:billing', 'read:customers'],
      isSupportStaff: false,
      user: null,
      customer: null,
    });
    expect(result.data!.acme).toBeNull();
    expect(result.data!.globex).toBeNull();
    expect(result.data!.globexInvoice).toBeNull();
    // Foreign or not, nothing is anybody's here: absent, not an error.
    expect(result.errors).toBeUndefined();
    expect(stack.demo.customers.stats.byOperation['POST /users/by-subject']).toBeUndefined();
    expect(stack.demo.customers.stats.byOperation['POST /users/batch-get']).toBeUndefined();
  });
});

describe('configured: scope and scp count, one machine client is trusted with support:read', () => {
  let stack: TestStack;
  let vars: { g: string; gi: string };
  beforeAll(async () => {
    stack = await startStack({
      env: { ...PRODUCTION, AUTH_PERMISSION_SOURCES: 'permissions,scope,scp', AUTH_MACHINE_SUPPORT_CLIENT_IDS: 'reporting-job' },
    });
    const facts = worldFacts(stack.world);
    vars = { g: facts.globex.id, gi: facts.invoicesOf(facts.globex.id)[0]!.id };
  });
  afterAll(() => stack.stop());

  test('a scope the application requested counts, but support:read from the portal app still does not', async () => {
    const token = await stack.token('bob', { claims: { scope: 'openid profile read:billing support:read' } });
    const result = await stack.gql(PROBE, { token, variables: vars });
    expect(result.data!.viewer).toMatchObject({ permissions: ['read:billing', 'read:customers', 'read:licenses'], isSupportStaff: false });
    expect(result.data!.globex).toBeNull();
    // read:billing now passes the field rule; the invoice is still Globex's, so it reads as absent.
    expect(result.data!.globexInvoice).toBeNull();
    expect(result.errors).toBeUndefined();
  });

  test('scp (Okta/Azure style) is read as an array or a space-separated string', async () => {
    for (const scp of [['read:customers', 'read:licenses'], 'read:customers read:licenses']) {
      const token = await stack.issuer.sign({ azp: 'portal-app', scp }, { subject: 'auth0|bob' });
      const result = await stack.gql('{ viewer { permissions } }', { token });
      expect(result.data!.viewer.permissions).toEqual(['read:customers', 'read:licenses']);
    }
  });

  test('the listed machine client reads every customer and changes nothing; another machine client reads nothing', async () => {
    const { acme, licenseOf } = worldFacts(stack.world);
    const permissions = ['read:customers', 'read:billing', 'manage:licenses', 'support:read'];
    const trusted = await stack.issuer.signMachine('reporting-job', permissions);
    const read = await stack.gql(PROBE, { token: trusted, variables: vars });
    expect(read.data!.viewer).toMatchObject({ isSupportStaff: true, user: null, customer: null });
    expect(read.data!.globex).toEqual({ id: vars.g, name: 'Globex' });
    expect(read.data!.globexInvoice.id).toBe(vars.gi);
    const write = await stack.gql(`mutation($l: ID!, $u: ID!) { assignLicenseSeat(licenseId: $l, userId: $u) { license { id } } }`, {
      token: trusted,
      variables: { l: licenseOf(acme.id, 'analytics').id, u: personaUser(stack.world, 'bob').id },
    });
    expect(errorAt(write, 'assignLicenseSeat')?.extensions?.code).toBe('FORBIDDEN');

    const other = await stack.gql(PROBE, { token: await stack.issuer.signMachine('other-job', permissions), variables: vars });
    expect(other.data!.viewer.isSupportStaff).toBe(false);
    expect(other.data!.globex).toBeNull();
  });
});

test('a withheld permission is logged for the operator, once per window however many tokens carry it', async () => {
  const clock = new ManualClock(Date.now());
  const fresh = await startStack({ clock, env: PRODUCTION });
  try {
    for (const jti of ['a', 'b', 'c']) {
      const token = await fresh.token('bob', { claims: { permissions: ['read:customers', 'support:read'], jti } });
      expect((await fresh.gql('{ viewer { isSupportStaff } }', { token })).data!.viewer.isSupportStaff).toBe(false);
    }
    const withheld = fresh.logs.filter((line) => line.msg === 'auth.permissions_withheld');
    expect(withheld).toEqual([
      expect.objectContaining({ level: 'warn', permissions: ['support:read'], kind: 'user', clientId: 'portal-app', suppressed: 0 }),
    ]);
    expect(String(withheld[0]!.why)).toContain('AUTH_SUPPORT_CLIENT_IDS');
    clock.advance(60_000);
    await fresh.gql('{ viewer { isSupportStaff } }', {
      token: await fresh.token('bob', { claims: { permissions: ['support:read'], jti: 'd' } }),
    });
    expect(fresh.logs.filter((line) => line.msg === 'auth.permissions_withheld')[1]).toMatchObject({ suppressed: 2 });
  } finally {
    await fresh.stop();
  }
});

/**
 * Auth0 Organizations over real HTTP against the BFF in production mode: `org_id` is mapped to
 * a customer through the customer API; a person in several customers (erin: member at Acme,
 * admin at Globex) picks one by organization; a token whose organization and business user
 * disagree is nobody.
 */
import { ConfigError, loadConfig } from '../../src/config.js';
import { organizationIdOf, personaUserIn } from '../../src/demo/world.js';
import { errorAt, PRODUCTION, startStack, type TestStack } from '../helpers/stack.js';
import { trackIdentityConcurrency } from '../helpers/upstreams.js';
import { worldFacts } from '../helpers/world.js';

const WHO = `query($a: ID!, $g: ID!) {
  viewer { user { id role } customer { id } }
  acme: customer(id: $a) { id }
  globex: customer(id: $g) { id invoices(first: 1) { totalCount } }
}`;

describe('organizations on (the default)', () => {
  let stack: TestStack;
  let facts: ReturnType<typeof worldFacts>;
  let ids: { a: string; g: string };
  beforeAll(async () => {
    stack = await startStack({ env: PRODUCTION });
    facts = worldFacts(stack.world);
    ids = { a: facts.acme.id, g: facts.globex.id };
  });
  afterAll(() => stack.stop());

  const as = async (persona: 'erin' | 'alice', organization?: string, claims: Record<string, string> = {}) => {
    stack.logs.length = 0;
    const token = await stack.token(persona, { ...(organization === undefined ? {} : { organization }), claims });
    return stack.gql(WHO, { token, variables: ids });
  };
  const rejection = () => stack.logs.find((line) => line.msg === 'identity.rejected')?.reason;

  test('erin through Globex’s organization is Globex’s admin, and sees nothing of Acme', async () => {
    const result = await as('erin', organizationIdOf('globex'));
    const erin = personaUserIn(stack.world, 'erin', 'globex');
    expect(result.errors).toBeUndefined();
    expect(result.data!.viewer).toEqual({ user: { id: erin.id, role: 'ADMIN' }, customer: { id: ids.g } });
    expect(result.data!.acme).toBeNull();
    expect(result.data!.globex.invoices.totalCount).toBe(facts.invoicesOf(ids.g).length);
  });

  test('erin through Acme’s organization is an Acme member: no Globex, and no license management', async () => {
    const result = await as('erin', organizationIdOf('acme'));
    expect(result.data!.viewer).toEqual({
      user: { id: personaUserIn(stack.world, 'erin', 'acme').id, role: 'MEMBER' },
      customer: { id: ids.a },
    });
    expect(result.data!.globex).toBeNull();
    const write = await stack.gql(`mutation($l: ID!, $u: ID!) { assignLicenseSeat(licenseId: $l, userId: $u) { license { id } } }`, {
      token: await stack.token('erin', { organization: organizationIdOf('acme') }),
      variables: { l: facts.licenseOf(ids.a, 'analytics').id, u: facts.usersOf(ids.a).find((u) => u.name.startsWith('Grace'))!.id },
    });
    expect(errorAt(write, 'assignLicenseSeat')?.extensions?.code).toBe('FORBIDDEN');
  });

  test('erin without an organization is nobody: she must pick a customer', async () => {
    const result = await as('erin');
    expect(result.data).toEqual({ viewer: { user: null, customer: null }, acme: null, globex: null });
    expect(rejection()).toBe('organization_required');
  });

  test('alice through Globex’s organization (a foreign organization) is nobody: neither Acme nor Globex', async () => {
    const result = await as('alice', organizationIdOf('globex'));
    expect(result.data).toEqual({ viewer: { user: null, customer: null }, acme: null, globex: null });
    expect(rejection()).toBe('organization_mismatch');
  });

  test('alice through Acme’s organization is alice', async () => {
    const result = await as('alice', organizationIdOf('acme'));
    expect(result.data!.viewer.customer).toEqual({ id: ids.a });
    expect(rejection()).toBeUndefined();
  });

  test('an organization the customer API does not know is nobody', async () => {
    const result = await as('alice', 'org_0000000000000000');
    expect(result.data!.viewer).toEqual({ user: null, customer: null });
    expect(rejection()).toBe('organization_unknown');
  });

  test('a user claim and the organization must agree', async () => {
    const atAcme = personaUserIn(stack.world, 'erin', 'acme').id;
    const atGlobex = personaUserIn(stack.world, 'erin', 'globex').id;
    const agree = await as('erin', organizationIdOf('globex'), { 'https://bff.example.com/user_id': atGlobex });
    expect(agree.data!.viewer.customer).toEqual({ id: ids.g });
    const disagree = await as('erin', organizationIdOf('globex'), { 'https://bff.example.com/user_id': atAcme });
    expect(disagree.data!.viewer).toEqual({ user: null, customer: null });
    expect(rejection()).toBe('organization_mismatch');
  });

  test('subject, user claim and organization cost one call each, all in the same wave', async () => {
    const concurrency = trackIdentityConcurrency();
    const parallel = await startStack({ env: PRODUCTION, wrapUpstreams: concurrency.wrap });
    try {
      const token = await parallel.token('erin', {
        organization: organizationIdOf('globex'),
        claims: { 'https://bff.example.com/user_id': personaUserIn(parallel.world, 'erin', 'globex').id },
      });
      parallel.demo.resetStats();
      const result = await parallel.gql('{ viewer { customer { name } } }', { token });
      expect(result.data!.viewer.customer).toEqual({ name: 'Globex' });
      // The customer itself comes from the organization lookup (primed): no fourth call.
      expect(parallel.demo.customers.stats.byOperation).toEqual({
        'POST /users/batch-get': 1,
        'POST /users/by-subject': 1,
        'POST /customers/by-organization': 1,
      });
      expect(concurrency.most).toBe(3);
    } finally {
      await parallel.stop();
    }
  });
});

describe('organizations off (AUTH_ORGANIZATIONS=false)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ env: { ...PRODUCTION, AUTH_ORGANIZATIONS: 'false' } });
  });
  afterAll(() => stack.stop());

  test('org_id is ignored: alice is alice whatever organization she names, erin cannot pick a customer', async () => {
    const { acme } = worldFacts(stack.world);
    const alice = await stack.gql('{ viewer { customer { id } } }', {
      token: await stack.token('alice', { organization: organizationIdOf('globex') }),
    });
    expect(alice.data!.viewer.customer).toEqual({ id: acme.id });
    const erin = await stack.gql('{ viewer { customer { id } } }', {
      token: await stack.token('erin', { organization: organizationIdOf('globex') }),
    });
    expect(erin.data!.viewer.customer).toBeNull();
  });
});

test('AUTH_CUSTOMER_ID_CLAIM=org_id is refused at start-up with what to do instead', () => {
  let error: unknown;
  try {
    loadConfig({ AUTH_CUSTOMER_ID_CLAIM: 'org_id', AUTH_USER_ID_CLAIM: 'sub' });
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const problems = (error as ConfigError).problems;
  const customer = problems.find((p) => p.startsWith('AUTH_CUSTOMER_ID_CLAIM:'));
  const user = problems.find((p) => p.startsWith('AUTH_USER_ID_CLAIM:'));
  expect(customer).toMatch(/^AUTH_CUSTOMER_ID_CLAIM: "org_id" is an Auth0 Organization id.*AUTH_ORGANIZATIONS/);
  expect(user).toMatch(/^AUTH_USER_ID_CLAIM: "sub" is a registered claim/);
  expect(() => loadConfig({ AUTH_USER_ID_CLAIM: 'https://x/id', AUTH_CUSTOMER_ID_CLAIM: 'https://x/id' })).toThrow(
    /AUTH_CUSTOMER_ID_CLAIM: must differ from AUTH_USER_ID_CLAIM/,
  );
});

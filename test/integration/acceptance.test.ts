/**
 * The acceptance suite of the authorization policy: the six personas against every gated
 * field and both mutations, over real HTTP with tokens from the development issuer.
 * Each case asserts the data or the exact error code at each path.
 */
import { PERSONAS, type PersonaName } from '../../src/demo/personas.js';
import { codes, errorAt, startStack, type GqlResult, type TestStack } from '../helpers/stack.js';
import { worldFacts } from '../helpers/world.js';

let stack: TestStack;
let facts: ReturnType<typeof worldFacts>;
beforeAll(async () => {
  stack = await startStack();
  facts = worldFacts(stack.world);
});
afterAll(() => stack.stop());

// erin picks her customer by organization per token: test/integration/auth0-organizations.test.ts.
type OneCustomerPersona = Exclude<PersonaName, 'erin'>;
const ALL: OneCustomerPersona[] = ['alice', 'bob', 'carol', 'mallory', 'dave', 'frank'];
const MISSING_ID = 'cus_000000000000';

const VIEWER = `{ viewer { subject clientId isSupportStaff permissions entitlements user { id name role email } customer { id name } } }`;

describe('viewer: who am I', () => {
  const expected: Record<
    OneCustomerPersona,
    { customer: 'acme' | 'globex' | 'initech' | null; user: boolean; entitlements: string[]; support: boolean }
  > = {
    alice: { customer: 'acme', user: true, entitlements: ['core-api', 'forecasting', 'sso', 'usage-analytics'], support: false },
    bob: { customer: 'acme', user: true, entitlements: ['core-api', 'forecasting', 'sso', 'usage-analytics'], support: false },
    carol: { customer: 'globex', user: true, entitlements: ['core-api', 'sso'], support: false },
    mallory: { customer: 'initech', user: true, entitlements: ['core-api', 'sso'], support: false },
    dave: { customer: null, user: true, entitlements: [], support: true },
    frank: { customer: null, user: false, entitlements: [], support: false },
  };

  test.each(ALL)('%s sees their own identity, permissions and entitlements', async (persona) => {
    const result = await stack.gql(VIEWER, { persona });
    const want = expected[persona];
    expect(result.status).toBe(200);
    expect(result.errors).toBeUndefined();
    const viewer = result.data!.viewer;
    expect(viewer.subject).toBe(PERSONAS[persona].subject);
    expect(viewer.clientId).toBe(PERSONAS[persona].clientId);
    expect(viewer.isSupportStaff).toBe(want.support);
    // API permissions only: the OIDC scopes of the login (openid profile email) are not permissions.
    expect(viewer.permissions).toEqual([...PERSONAS[persona].permissions].sort());
    expect(viewer.entitlements).toEqual(want.entitlements);
    expect(viewer.customer).toEqual(
      want.customer ? { id: facts.customers[want.customer].id, name: facts.customers[want.customer].name } : null,
    );
    if (want.user) {
      const user = stack.world.users.find((u) => u.subject === PERSONAS[persona].subject)!;
      expect(viewer.user).toEqual({ id: user.id, name: user.name, role: user.role.toUpperCase(), email: user.email });
    } else {
      expect(viewer.user).toBeNull();
    }
  });
});

const CUSTOMER = `query($id: ID!) { customer(id: $id) {
  id name
  users { id name email }
  billingAccount { id balance { amount currency } }
  invoices(first: 5) { totalCount edges { node { id number customer { id } } } pageInfo { hasNextPage endCursor } }
  licenses { id product { name } status features seats seatsUsed assignments { user { id } } }
  usage { period apiCalls forecast { apiCalls } }
} }`;

describe('customer(id): ownership', () => {
  const owner: Record<OneCustomerPersona, 'acme' | 'globex' | 'initech' | 'all' | null> = {
    alice: 'acme',
    bob: 'acme',
    carol: 'globex',
    mallory: 'initech',
    dave: 'all',
    frank: null,
  };
  const cases = ALL.flatMap((persona) => (['acme', 'globex', 'initech'] as const).map((slug) => [persona, slug] as const));

  test.each(cases)('%s asking for %s', async (persona, slug) => {
    const result = await stack.gql(CUSTOMER, { persona, variables: { id: facts.customers[slug].id } });
    expect(result.status).toBe(200);
    const visible = owner[persona] === 'all' || owner[persona] === slug;
    if (!visible) {
      // Indistinguishable from an id that does not exist: same body, byte for byte.
      const missing = await stack.gql(CUSTOMER, { persona, variables: { id: MISSING_ID } });
      expect(result.data).toEqual({ customer: null });
      expect(result.errors).toBeUndefined();
      expect(result.text).toBe(missing.text);
      return;
    }
    expect(result.data!.customer.id).toBe(facts.customers[slug].id);
    expect(result.data!.customer.name).toBe(facts.customers[slug].name);
  });

  test('a foreign object in a nested path is dropped, never shown (mallory via aliases)', async () => {
    const result = await stack.gql(
      `query($a: ID!, $g: ID!, $i: ID!) { a: customer(id: $a) { id } g: customer(id: $g) { id } i: customer(id: $i) { id } }`,
      { persona: 'mallory', variables: { a: facts.acme.id, g: facts.globex.id, i: facts.initech.id } },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ a: null, g: null, i: { id: facts.initech.id } });
  });
});

describe('customer fields: scopes and entitlements', () => {
  const read = (persona: PersonaName, slug: 'acme' | 'globex' | 'initech') =>
    stack.gql(CUSTOMER, { persona, variables: { id: facts.customers[slug].id } });

  test('alice (acme admin) reads everything of acme, no errors', async () => {
    const result = await read('alice', 'acme');
    expect(result.errors).toBeUndefined();
    const customer = result.data!.customer;
    expect(customer.users.map((u: { id: string }) => u.id).sort()).toEqual(
      facts
        .usersOf(facts.acme.id)
        .map((u) => u.id)
        .sort(),
    );
    expect(customer.users.every((u: { email: string | null }) => typeof u.email === 'string')).toBe(true);
    expect(customer.billingAccount.balance.currency).toBe('EUR');
    expect(customer.invoices.totalCount).toBe(14);
    expect(customer.invoices.edges).toHaveLength(5);
    expect(customer.invoices.edges.every((e: { node: { customer: { id: string } } }) => e.node.customer.id === facts.acme.id)).toBe(true);
    expect(customer.licenses.map((l: { product: { name: string } }) => l.product.name).sort()).toEqual([
      'Analytics Suite',
      'Core Platform',
    ]);
    expect(customer.licenses.every((l: { status: string }) => l.status === 'ACTIVE')).toBe(true);
    expect(customer.usage.forecast.apiCalls).toBeGreaterThan(0);
  });

  test('bob (no read:billing) gets FORBIDDEN at billingAccount and invoices, the rest intact', async () => {
    const result = await read('bob', 'acme');
    const customer = result.data!.customer;
    expect(customer.billingAccount).toBeNull();
    expect(customer.invoices).toBeNull();
    expect(errorAt(result, 'customer.billingAccount')?.extensions?.code).toBe('FORBIDDEN');
    expect(errorAt(result, 'customer.invoices')?.extensions?.code).toBe('FORBIDDEN');
    expect(customer.name).toBe('Acme Corp');
    expect(customer.licenses).toHaveLength(2);
    expect(customer.usage.period).toMatch(/^\d{4}-\d{2}$/);
    // A member sees their own email, not their colleagues': one FORBIDDEN stands for them all.
    const hidden: number[] = [];
    for (const [index, user] of (customer.users as { id: string; email: string | null }[]).entries()) {
      if (user.id === facts.bob.id) expect(user.email).toBe(facts.bob.email);
      else {
        expect(user.email).toBeNull();
        hidden.push(index);
      }
    }
    const emails = errorAt(result, `customer.users.${hidden[0]}.email`);
    expect(emails?.extensions).toMatchObject({ code: 'FORBIDDEN', count: hidden.length });
    expect(result.errors).toHaveLength(3);
    expect(codes(result)).toEqual(['FORBIDDEN']);
  });

  test.each([
    ['carol', 'globex'],
    ['mallory', 'initech'],
  ] as const)('%s: usage needs usage-analytics, answered LICENSE_REQUIRED naming the feature', async (persona, slug) => {
    const result = await read(persona, slug);
    expect(result.data!.customer.usage).toBeNull();
    const error = errorAt(result, 'customer.usage');
    expect(error?.extensions?.code).toBe('LICENSE_REQUIRED');
    expect(error?.extensions?.feature).toBe('usage-analytics');
    expect(error?.message).toContain('usage-analytics');
    expect(codes(result)).toEqual(['LICENSE_REQUIRED']);
    expect(result.data!.customer.billingAccount).not.toBeNull();
    expect(result.data!.customer.licenses.length).toBeGreaterThan(0);
  });

  test("carol sees globex's Analytics Suite as EXPIRED", async () => {
    const result = await read('carol', 'globex');
    const analytics = result.data!.customer.licenses.find((l: { product: { name: string } }) => l.product.name === 'Analytics Suite');
    expect(analytics.status).toBe('EXPIRED');
  });

  test("dave (support) reads every customer in full, with the customer's own entitlements", async () => {
    const acme = await read('dave', 'acme');
    expect(acme.errors).toBeUndefined();
    expect(acme.data!.customer.invoices.totalCount).toBe(14);
    expect(acme.data!.customer.usage.forecast).not.toBeNull();
    const globex = await read('dave', 'globex');
    expect(globex.data!.customer.billingAccount).not.toBeNull();
    expect(errorAt(globex, 'customer.usage')?.extensions?.code).toBe('LICENSE_REQUIRED');
  });
});

describe('invoice(id) and license(id)', () => {
  const INVOICE = `query($id: ID!) { invoice(id: $id) { id number total { amount } customer { name } lines { description } } }`;
  const LICENSE = `query($id: ID!) { license(id: $id) { id status seats seatsUsed customer { name } } }`;

  test.each([
    ['alice', 'data'],
    ['dave', 'data'],
    ['bob', 'FORBIDDEN'],
    ['frank', 'FORBIDDEN'],
    ['carol', 'null'],
    ['mallory', 'null'],
  ] as const)('%s asking for an acme invoice: %s', async (persona, outcome) => {
    const invoice = facts.invoicesOf(facts.acme.id)[0]!;
    const result = await stack.gql(INVOICE, { persona, variables: { id: invoice.id } });
    if (outcome === 'data') {
      expect(result.errors).toBeUndefined();
      expect(result.data!.invoice).toMatchObject({ id: invoice.id, number: invoice.number, customer: { name: 'Acme Corp' } });
    } else if (outcome === 'FORBIDDEN') {
      expect(result.data!.invoice).toBeNull();
      expect(codes(result)).toEqual(['FORBIDDEN']);
    } else {
      const missing = await stack.gql(INVOICE, { persona, variables: { id: 'inv_000000000000' } });
      expect(result.text).toBe(missing.text);
      expect(result.data).toEqual({ invoice: null });
    }
  });

  test.each([
    ['alice', 'data'],
    ['bob', 'data'],
    ['dave', 'data'],
    ['frank', 'FORBIDDEN'],
    ['carol', 'null'],
    ['mallory', 'null'],
  ] as const)("%s asking for acme's analytics license: %s", async (persona, outcome) => {
    const license = facts.licenseOf(facts.acme.id, 'analytics');
    const result = await stack.gql(LICENSE, { persona, variables: { id: license.id } });
    if (outcome === 'data') {
      expect(result.errors).toBeUndefined();
      expect(result.data!.license).toMatchObject({ id: license.id, status: 'ACTIVE', seats: 10, customer: { name: 'Acme Corp' } });
    } else if (outcome === 'FORBIDDEN') {
      expect(codes(result)).toEqual(['FORBIDDEN']);
    } else {
      const missing = await stack.gql(LICENSE, { persona, variables: { id: 'lic_000000000000' } });
      expect(result.text).toBe(missing.text);
    }
  });
});

describe('pagination', () => {
  test('alice reads a page of invoices and the next page: newest first, no overlap', async () => {
    const PAGE = `query($id: ID!, $after: String) { customer(id: $id) { invoices(first: 5, after: $after) { totalCount edges { node { id issuedAt } } pageInfo { hasNextPage endCursor } } } }`;
    const first = await stack.gql(PAGE, { persona: 'alice', variables: { id: facts.acme.id } });
    const page1 = first.data!.customer.invoices;
    const second = await stack.gql(PAGE, { persona: 'alice', variables: { id: facts.acme.id, after: page1.pageInfo.endCursor } });
    const page2 = second.data!.customer.invoices;
    const expected = facts.invoicesOf(facts.acme.id).map((i) => i.id);
    const ids = [...page1.edges, ...page2.edges].map((e: { node: { id: string } }) => e.node.id);
    expect(ids).toEqual(expected.slice(0, 10));
    expect(page1.pageInfo.hasNextPage).toBe(true);
    expect(page2.totalCount).toBe(14);
  });
});

describe('mutations: assignLicenseSeat / revokeLicenseSeat', () => {
  const ASSIGN = `mutation($l: ID!, $u: ID!) { assignLicenseSeat(licenseId: $l, userId: $u) { license { id seatsUsed } user { id } } }`;
  const REVOKE = `mutation($l: ID!, $u: ID!) { revokeLicenseSeat(licenseId: $l, userId: $u) { license { id seatsUsed } user { id } } }`;
  const WRITES = ['POST /licenses/{licenseId}/assignments', 'DELETE /licenses/{licenseId}/assignments/{userId}'];
  const writes = () => WRITES.reduce((sum, op) => sum + (stack.demo.licenses.stats.byOperation[op] ?? 0), 0);

  /** Runs a mutation that must be refused, and proves nothing changed upstream. */
  async function refused(persona: PersonaName, mutation: string, variables: Record<string, string>): Promise<GqlResult<any>> {
    const before = { writes: writes(), assignments: JSON.stringify(stack.world.assignments) };
    const result = await stack.gql(mutation, { persona, variables });
    expect(result.status).toBe(200);
    expect(Object.values(result.data ?? {})).toEqual([null]);
    expect(writes()).toBe(before.writes);
    expect(JSON.stringify(stack.world.assignments)).toBe(before.assignments);
    return result;
  }

  const unassignedAcmeUser = () => {
    const analytics = facts.licenseOf(facts.acme.id, 'analytics');
    const taken = new Set(facts.assignmentsOf(analytics.id).map((a) => a.userId));
    return facts.usersOf(facts.acme.id).find((u) => !taken.has(u.id))!;
  };

  test('alice assigns a free seat to an acme user, then revokes it', async () => {
    const analytics = facts.licenseOf(facts.acme.id, 'analytics');
    const user = unassignedAcmeUser();
    const used = facts.assignmentsOf(analytics.id).length;
    const assigned = await stack.gql(ASSIGN, { persona: 'alice', variables: { l: analytics.id, u: user.id } });
    expect(assigned.errors).toBeUndefined();
    expect(assigned.data!.assignLicenseSeat).toEqual({ license: { id: analytics.id, seatsUsed: used + 1 }, user: { id: user.id } });
    expect(facts.assignmentsOf(analytics.id).some((a) => a.userId === user.id)).toBe(true);

    const revoked = await stack.gql(REVOKE, { persona: 'alice', variables: { l: analytics.id, u: user.id } });
    expect(revoked.errors).toBeUndefined();
    expect(revoked.data!.revokeLicenseSeat.license.seatsUsed).toBe(used);
    expect(facts.assignmentsOf(analytics.id).some((a) => a.userId === user.id)).toBe(false);
  });

  test.each(['bob', 'dave', 'frank'] as const)(
    '%s (no manage:licenses or not an admin) is FORBIDDEN and nothing changes',
    async (persona) => {
      const analytics = facts.licenseOf(facts.acme.id, 'analytics');
      const result = await refused(persona, ASSIGN, { l: analytics.id, u: unassignedAcmeUser().id });
      expect(codes(result)).toEqual(['FORBIDDEN']);
      const revoke = await refused(persona, REVOKE, { l: analytics.id, u: facts.alice.id });
      expect(codes(revoke)).toEqual(['FORBIDDEN']);
    },
  );

  test("mallory assigning on acme's license gets NOT_FOUND, exactly as for a license that does not exist", async () => {
    const analytics = facts.licenseOf(facts.acme.id, 'analytics');
    const foreign = await refused('mallory', ASSIGN, { l: analytics.id, u: facts.mallory.id });
    const missing = await refused('mallory', ASSIGN, { l: 'lic_000000000000', u: facts.mallory.id });
    expect(codes(foreign)).toEqual(['NOT_FOUND']);
    expect(foreign.text).toBe(missing.text);
  });

  test('alice giving a seat to a user of another customer gets NOT_FOUND, as for an unknown user', async () => {
    const analytics = facts.licenseOf(facts.acme.id, 'analytics');
    const foreign = await refused('alice', ASSIGN, { l: analytics.id, u: facts.carol.id });
    const missing = await refused('alice', ASSIGN, { l: analytics.id, u: 'usr_000000000000' });
    expect(codes(foreign)).toEqual(['NOT_FOUND']);
    expect(foreign.text).toBe(missing.text);
  });

  test('revoking a seat the user does not hold is NOT_ASSIGNED', async () => {
    const analytics = facts.licenseOf(facts.acme.id, 'analytics');
    const result = await refused('alice', REVOKE, { l: analytics.id, u: unassignedAcmeUser().id });
    expect(codes(result)).toEqual(['NOT_ASSIGNED']);
  });

  test('seat exhaustion: with every seat taken, assigning is NO_FREE_SEAT and nothing changes', async () => {
    const analytics = facts.licenseOf(facts.acme.id, 'analytics');
    const used = facts.assignmentsOf(analytics.id).length;
    await fetch(`${stack.demo.urls.licenses}/licenses/${analytics.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ seats: used }),
    });
    try {
      const result = await refused('alice', ASSIGN, { l: analytics.id, u: unassignedAcmeUser().id });
      expect(codes(result)).toEqual(['NO_FREE_SEAT']);
    } finally {
      await fetch(`${stack.demo.urls.licenses}/licenses/${analytics.id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ seats: 10 }),
      });
    }
  });

  test('two seat changes in one request: a refused one does not blank the other', async () => {
    const analytics = facts.licenseOf(facts.acme.id, 'analytics');
    const user = unassignedAcmeUser();
    const result = await stack.gql(
      `mutation($l: ID!, $u: ID!, $x: ID!) { ok: assignLicenseSeat(licenseId: $l, userId: $u) { user { id } } bad: assignLicenseSeat(licenseId: $l, userId: $x) { user { id } } }`,
      { persona: 'alice', variables: { l: analytics.id, u: user.id, x: facts.carol.id } },
    );
    expect(result.data).toEqual({ ok: { user: { id: user.id } }, bad: null });
    expect(errorAt(result, 'bad')?.extensions?.code).toBe('NOT_FOUND');
    await stack.gql(REVOKE, { persona: 'alice', variables: { l: analytics.id, u: user.id } });
  });
});

describe('mutation input rules', () => {
  test('ids that cannot be upstream ids are BAD_USER_INPUT before any upstream call', async () => {
    const token = await stack.token('alice');
    stack.demo.resetStats();
    const result = await stack.gql(`mutation { assignLicenseSeat(licenseId: "../../admin", userId: "x") { user { id } } }`, { token });
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.data).toEqual({ assignLicenseSeat: null });
    // The token is verified and cached before this request; the caller's identity is not even needed.
    expect(stack.demo.licenses.stats.total).toBe(0);
  });
});

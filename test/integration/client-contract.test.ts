/**
 * The contract SPA teams code against, over real HTTP with real tokens: time scalars, the
 * invoice connection, seat-change payloads, and what errors say.
 */
import type { Upstreams } from '../../src/upstream/index.js';
import { errorAt, startStack, type TestStack } from '../helpers/stack.js';
import { worldFacts } from '../helpers/world.js';

let stack: TestStack;
let facts: ReturnType<typeof worldFacts>;
beforeAll(async () => {
  stack = await startStack();
  facts = worldFacts(stack.world);
});
afterAll(() => stack.stop());

describe('time scalars', () => {
  test('invoice dates are calendar dates (Date); license and seat times are UTC instants (DateTime)', async () => {
    const result = await stack.gql(
      `query($id: ID!) { customer(id: $id) {
        invoices(first: 2) { edges { node { issuedAt dueAt } } }
        licenses { validFrom validUntil assignments { assignedAt } } } }`,
      { persona: 'alice', variables: { id: facts.acme.id } },
    );
    expect(result.errors).toBeUndefined();
    const customer = result.data!.customer;
    for (const { node } of customer.invoices.edges) {
      expect(node.issuedAt).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(node.dueAt).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    const instant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
    for (const license of customer.licenses) {
      expect(license.validFrom).toMatch(instant);
      expect(license.validUntil).toMatch(instant);
      for (const assignment of license.assignments) expect(assignment.assignedAt).toMatch(instant);
    }
  });

  describe('an upstream breaking the date contract', () => {
    let broken: TestStack;
    beforeAll(async () => {
      // The billing API answers with a day-first date for every invoice.
      broken = await startStack({
        wrapUpstreams: (upstreams: Upstreams): Upstreams => ({
          ...upstreams,
          billing: {
            ...upstreams.billing,
            invoicePages: async (requests, signal) =>
              (await upstreams.billing.invoicePages(requests, signal)).map((page) => ({
                ...page,
                items: page.items.map((invoice) => ({ ...invoice, dueAt: '31/01/2026' })),
              })),
          },
        }),
      });
    });
    afterAll(() => broken.stop());

    test('is an internal error at that field, logged, never a malformed value; the rest is intact', async () => {
      const acme = worldFacts(broken.world).acme;
      const result = await broken.gql(
        `query($id: ID!) { customer(id: $id) { name invoices(first: 1) { edges { node { number dueAt } } } } }`,
        {
          persona: 'alice',
          variables: { id: acme.id },
        },
      );
      expect(result.data!.customer.name).toBe('Acme Corp');
      expect(result.text).not.toContain('31/01/2026');
      expect(errorAt(result, 'customer.invoices.edges.0.node.dueAt')?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(broken.logs.some((line) => line.msg === 'graphql.internal_error' && String(line.error).includes('Date must be'))).toBe(true);
    });
  });
});

describe('the invoice connection (Relay)', () => {
  const PAGE = `query($id: ID!, $first: Int, $after: String) { customer(id: $id) { invoices(first: $first, after: $after) {
    totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`;
  const page = async (first: number, after?: string) => {
    const result = await stack.gql(PAGE, { persona: 'alice', variables: { id: facts.acme.id, first, ...(after ? { after } : {}) } });
    expect(result.errors).toBeUndefined();
    return result.data!.customer.invoices as {
      totalCount: number;
      edges: { cursor: string; node: { id: string } }[];
      pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
    };
  };

  test('walking with endCursor visits every invoice once, newest first; pageInfo matches the edges', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const current = await page(4, after);
      seen.push(...current.edges.map((edge) => edge.node.id));
      expect(current.pageInfo.startCursor).toBe(current.edges[0]?.cursor);
      expect(current.pageInfo.endCursor).toBe(current.edges.at(-1)?.cursor);
      expect(current.pageInfo.hasPreviousPage).toBe(after !== undefined);
      if (!current.pageInfo.hasNextPage) break;
      after = current.pageInfo.endCursor!;
    }
    expect(seen).toEqual(facts.invoicesOf(facts.acme.id).map((invoice) => invoice.id));
  });

  test('any edge cursor resumes right after its invoice', async () => {
    const first = await page(6);
    const resumed = await page(2, first.edges[2]!.cursor);
    expect(resumed.edges.map((edge) => edge.node.id)).toEqual(first.edges.slice(3, 5).map((edge) => edge.node.id));
    expect(resumed.pageInfo.hasPreviousPage).toBe(true);
  });

  test('the last page has hasNextPage false and still an endCursor; after it comes an empty page', async () => {
    const all = await page(50);
    expect(all.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false, endCursor: all.edges.at(-1)!.cursor });
    const beyond = await page(5, all.pageInfo.endCursor!);
    expect(beyond.edges).toEqual([]);
    expect(beyond.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null });
  });

  test('a cursor the API never issued is BAD_USER_INPUT at the connection', async () => {
    const result = await stack.gql(PAGE, { persona: 'alice', variables: { id: facts.acme.id, first: 2, after: 'bm90LWEtY3Vyc29y' } });
    expect(errorAt(result, 'customer.invoices')?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('what a refusal says', () => {
  test('FORBIDDEN names the permission the denying rule asked for, derived from the policy', async () => {
    const result = await stack.gql(
      `query($id: ID!) { customer(id: $id) { name billingAccount { id } invoices(first: 1) { totalCount } } }`,
      {
        persona: 'bob',
        variables: { id: facts.acme.id },
      },
    );
    expect(result.data!.customer).toEqual({ name: 'Acme Corp', billingAccount: null, invoices: null });
    for (const path of ['customer.billingAccount', 'customer.invoices']) {
      expect(errorAt(result, path)).toMatchObject({
        message: 'This field needs the "read:billing" permission.',
        extensions: { code: 'FORBIDDEN', permission: 'read:billing' },
      });
    }
  });

  test('a denial no permission would lift (a role, not the token) names none', async () => {
    const result = await stack.gql(`query($id: ID!) { customer(id: $id) { users { id email } } }`, {
      persona: 'bob',
      variables: { id: facts.acme.id },
    });
    const error = result.errors?.[0];
    expect(error?.extensions?.code).toBe('FORBIDDEN');
    expect(error?.extensions).not.toHaveProperty('permission');
  });

  test('a field denied on every item of a list is one error with the count and the first paths; each value is still null', async () => {
    const result = await stack.gql(`query($id: ID!) { customer(id: $id) { users { id email } } }`, {
      persona: 'bob',
      variables: { id: facts.acme.id },
    });
    const users: { id: string; email: string | null }[] = result.data!.customer.users;
    const hidden = users.flatMap((user, index) => (user.id === facts.bob.id ? [] : [index]));
    expect(hidden.length).toBeGreaterThan(1);
    // bob sees his own address; every other one is null.
    for (const [index, user] of users.entries()) expect(user.email === null).toBe(hidden.includes(index));
    expect(result.errors).toHaveLength(1);
    const [error] = result.errors!;
    expect(error!.path).toEqual(['customer', 'users', hidden[0], 'email']);
    expect(error!.extensions).toMatchObject({
      code: 'FORBIDDEN',
      count: hidden.length,
      paths: hidden.slice(0, 5).map((index) => ['customer', 'users', index, 'email']),
    });
  });
});

describe('seat changes report what was committed', () => {
  const ASSIGN = `mutation($l: ID!, $u: ID!) { assignLicenseSeat(licenseId: $l, userId: $u) {
    licenseId userId seats seatsUsed license { id seatsUsed } user { id name } } }`;
  const REVOKE = `mutation($l: ID!, $u: ID!) { revokeLicenseSeat(licenseId: $l, userId: $u) { licenseId userId seatsUsed license { id } } }`;

  test('manage:licenses without read:licenses: the payload reports the change, only the license is null (FORBIDDEN)', async () => {
    // Auth0 permissions are independent: an admin may manage seats without reading licenses.
    const token = await stack.issuer.sign(
      { azp: 'portal-app', scope: 'openid profile', permissions: ['read:customers', 'manage:licenses'] },
      { subject: 'auth0|alice' },
    );
    const license = facts.licenseOf(facts.acme.id, 'analytics');
    const holders = new Set(facts.assignmentsOf(license.id).map((a) => a.userId));
    const user = facts.usersOf(facts.acme.id).find((u) => !holders.has(u.id))!;
    const before = holders.size;

    const assigned = await stack.gql(ASSIGN, { token, variables: { l: license.id, u: user.id } });
    expect(assigned.data!.assignLicenseSeat).toEqual({
      licenseId: license.id,
      userId: user.id,
      seats: license.seats,
      seatsUsed: before + 1,
      license: null,
      user: { id: user.id, name: user.name },
    });
    expect(assigned.errors).toHaveLength(1);
    expect(errorAt(assigned, 'assignLicenseSeat.license')?.extensions).toEqual({ code: 'FORBIDDEN', permission: 'read:licenses' });
    // It really was committed: a retry is refused as a duplicate, and changes nothing.
    const retry = await stack.gql(ASSIGN, { token, variables: { l: license.id, u: user.id } });
    expect(retry.data!.assignLicenseSeat).toBeNull();
    expect(retry.errors?.[0]?.extensions?.code).toBe('ALREADY_ASSIGNED');

    const revoked = await stack.gql(REVOKE, { token, variables: { l: license.id, u: user.id } });
    expect(revoked.data!.revokeLicenseSeat).toEqual({ licenseId: license.id, userId: user.id, seatsUsed: before, license: null });
    expect(errorAt(revoked, 'revokeLicenseSeat.license')?.extensions?.code).toBe('FORBIDDEN');
  });

  test('a refused change is null with its code, and nothing else', async () => {
    const license = facts.licenseOf(facts.acme.id, 'analytics');
    const result = await stack.gql(ASSIGN, { persona: 'bob', variables: { l: license.id, u: facts.bob.id } });
    expect(result.data).toEqual({ assignLicenseSeat: null });
    expect(result.errors?.map((e) => [e.path?.join('.'), e.extensions?.code, e.extensions?.permission])).toEqual([
      ['assignLicenseSeat', 'FORBIDDEN', 'manage:licenses'],
    ]);
  });
});

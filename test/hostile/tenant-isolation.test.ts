/**
 * Tenant isolation under probing: other customers' ids through aliases, nested edges and
 * mutation arguments read exactly like ids that do not exist; tenant hints from the client
 * (headers, claims the backend disagrees with) grant nothing; and a record an upstream
 * returns for another customer than the one asked for is dropped, never shown.
 */
import { customerBySlug, personaUser, type DemoWorld } from '../../src/demo/world.js';
import type { Upstreams } from '../../src/upstream/index.js';
import { createLoaders } from '../../src/upstream/loaders.js';
import type { Customer, Invoice, InvoicePage, License, User } from '../../src/upstream/types.js';
import { startStack, type TestStack } from '../helpers/stack.js';
import { expectKnownCodes, expectNoLeak } from './leaks.js';

let stack: TestStack;
let world: DemoWorld;
let ids: ReturnType<typeof worldIds>;

function worldIds(w: DemoWorld) {
  const acme = customerBySlug(w, 'acme');
  const globex = customerBySlug(w, 'globex');
  const initech = customerBySlug(w, 'initech');
  const licensesOf = (c: Customer) => w.licenses.filter((l) => l.customerId === c.id);
  const invoicesOf = (c: Customer) => w.invoices.filter((i) => i.customerId === c.id);
  return { acme, globex, initech, licensesOf, invoicesOf, usersOf: (c: Customer) => w.users.filter((u) => u.customerId === c.id) };
}

beforeAll(async () => {
  stack = await startStack();
  world = stack.world;
  ids = worldIds(world);
});
afterAll(() => stack.stop());

test('foreign customer, invoice and license ids through aliases read exactly like unknown ids', async () => {
  const { acme, globex, initech } = ids;
  const result = await stack.gql(
    `query($own: ID!, $a: ID!, $g: ID!, $x: ID!, $ai: ID!, $gl: ID!) {
      own: customer(id: $own) { id name }
      acme: customer(id: $a) { id name users { email } }
      globex: customer(id: $g) { id name }
      unknown: customer(id: $x) { id name }
      acmeInvoice: invoice(id: $ai) { id number total { amount } }
      globexLicense: license(id: $gl) { id seats }
    }`,
    {
      persona: 'mallory',
      variables: {
        own: initech.id,
        a: acme.id,
        g: globex.id,
        x: 'cus_000000000000',
        ai: ids.invoicesOf(acme)[0]!.id,
        gl: ids.licensesOf(globex)[0]!.id,
      },
    },
  );
  expect(result.status).toBe(200);
  expect(result.errors).toBeUndefined();
  expect(result.data).toEqual({
    own: { id: initech.id, name: 'Initech' },
    acme: null,
    globex: null,
    unknown: null,
    acmeInvoice: null,
    globexLicense: null,
  });

  // Byte for byte: a foreign id and a made-up one give the same answer.
  for (const [field, foreign, unknown] of [
    ['customer', acme.id, 'cus_ffffffffffff'],
    ['invoice', ids.invoicesOf(acme)[0]!.id, 'inv_ffffffffffff'],
    ['license', ids.licensesOf(acme)[0]!.id, 'lic_ffffffffffff'],
  ] as const) {
    const query = `query($id: ID!) { ${field}(id: $id) { id } }`;
    const a = await stack.gql(query, { persona: 'mallory', variables: { id: foreign } });
    const b = await stack.gql(query, { persona: 'mallory', variables: { id: unknown } });
    expect(a.text).toBe(b.text);
  }
});

test('nested edges never lead into another customer', async () => {
  const { acme, initech } = ids;
  const result = await stack.gql(
    `query($own: ID!, $inv: ID!, $lic: ID!) {
      viewer { customer { id users { id customer { id } } licenses { id customer { id } assignments { user { id customer { id } } } } } }
      own: customer(id: $own) { invoices(first: 50) { edges { node { id customer { id } } } } billingAccount { customer { id } } }
      foreignInvoice: invoice(id: $inv) { customer { users { email } } }
      foreignLicense: license(id: $lic) { assignments { user { email } } customer { name } }
    }`,
    { persona: 'mallory', variables: { own: initech.id, inv: ids.invoicesOf(acme)[1]!.id, lic: ids.licensesOf(acme)[1]!.id } },
  );
  expect(result.status).toBe(200);
  expect(result.data?.foreignInvoice).toBeNull();
  expect(result.data?.foreignLicense).toBeNull();
  const initechIds = new Set([
    initech.id,
    ...ids.usersOf(initech).map((u) => u.id),
    ...ids.licensesOf(initech).map((l) => l.id),
    ...ids.invoicesOf(initech).map((i) => i.id),
  ]);
  initechIds.add(world.accounts.find((a) => a.customerId === initech.id)!.id);
  const seen = [...result.text.matchAll(/"id":"([^"]+)"/g)].map((m) => m[1]!);
  expect(seen.length).toBeGreaterThan(10);
  expect(seen.filter((id) => !initechIds.has(id))).toEqual([]);
});

test('mutation arguments naming another customer’s license or user are refused like unknown ids, before any write', async () => {
  const { acme, initech } = ids;
  stack.demo.licenses.stats.reset();
  const mallory = personaUser(world, 'mallory');
  const alice = personaUser(world, 'alice');
  const acmeCore = ids.licensesOf(acme).find((l) => l.productName === 'Core Platform')!;
  const initechCore = ids.licensesOf(initech)[0]!;
  const assign = 'mutation($l: ID!, $u: ID!) { assignLicenseSeat(licenseId: $l, userId: $u) { license { id } user { id } } }';
  const revoke = 'mutation($l: ID!, $u: ID!) { revokeLicenseSeat(licenseId: $l, userId: $u) { license { id } user { id } } }';
  const refusal = async (query: string, l: string, u: string) => {
    const result = await stack.gql(query, { persona: 'mallory', variables: { l, u } });
    expect(Object.values(result.data ?? {}).filter((v) => v !== null)).toEqual([]);
    expectKnownCodes(result);
    expectNoLeak(result);
    return result.errors!.map((e) => `${e.extensions?.code}: ${e.message}`);
  };
  // Foreign license = unknown license.
  expect(await refusal(assign, acmeCore.id, mallory.id)).toEqual(await refusal(assign, 'lic_ffffffffffff', mallory.id));
  expect(await refusal(revoke, acmeCore.id, alice.id)).toEqual(await refusal(revoke, 'lic_ffffffffffff', alice.id));
  // Foreign user on an own license = unknown user.
  expect(await refusal(assign, initechCore.id, alice.id)).toEqual(await refusal(assign, initechCore.id, 'usr_ffffffffffff'));
  expect((await refusal(assign, initechCore.id, alice.id))[0]).toMatch(/^NOT_FOUND/);
  // Nothing was written upstream, and aliases do not multiply the attempt into a write.
  const aliased = await stack.gql(
    `mutation($a: ID!, $u: ID!) { one: revokeLicenseSeat(licenseId: $a, userId: $u) { user { id } } two: assignLicenseSeat(licenseId: $a, userId: $u) { user { id } } }`,
    { persona: 'mallory', variables: { a: acmeCore.id, u: alice.id } },
  );
  expect(Object.values(aliased.data ?? {}).filter((v) => v !== null)).toEqual([]);
  const writes = Object.entries(stack.demo.licenses.stats.byOperation).filter(([op]) => !op.includes('by-') && !op.includes('batch'));
  expect(writes).toEqual([]);
});

test('tenant headers and arguments from the client are ignored', async () => {
  const { acme, globex } = ids;
  const carol = personaUser(world, 'carol');
  const result = await stack.gql(`query($g: ID!) { viewer { customer { id } user { id } } foreign: customer(id: $g) { id } }`, {
    persona: 'alice',
    variables: { g: globex.id, customerId: globex.id, tenant: 'globex' },
    headers: {
      'x-customer-id': globex.id,
      'x-tenant-id': 'globex',
      'x-tenant': globex.id,
      'x-user-id': carol.id,
      'x-forwarded-user': 'auth0|carol',
      'x-auth-request-user': 'auth0|dave',
      'x-support-staff': 'true',
    },
  });
  expect(result.status).toBe(200);
  expect(result.data).toEqual({ viewer: { customer: { id: acme.id }, user: { id: personaUser(world, 'alice').id } }, foreign: null });
});

test('identity claims the backend disagrees with grant nothing', async () => {
  const { acme, globex } = ids;
  const query = `query($a: ID!, $g: ID!) { viewer { customer { id } } acme: customer(id: $a) { id } globex: customer(id: $g) { id } }`;
  // alice's token claiming Globex as her customer: the backend says Acme, so neither is hers.
  const claimsGlobex = await stack.token('alice', { claims: { 'https://bff.example.com/customer_id': globex.id } });
  const a = await stack.gql(query, { token: claimsGlobex, variables: { a: acme.id, g: globex.id } });
  expect(a.data).toEqual({ viewer: { customer: null }, acme: null, globex: null });
  // alice's subject claiming carol's user id: a mismatch reads as nobody.
  const claimsCarol = await stack.token('alice', { claims: { 'https://bff.example.com/user_id': personaUser(world, 'carol').id } });
  const b = await stack.gql(query, { token: claimsCarol, variables: { a: acme.id, g: globex.id } });
  expect(b.data).toEqual({ viewer: { customer: null }, acme: null, globex: null });
});

describe('an upstream answering with another customer’s records', () => {
  let poisoned: TestStack;
  beforeAll(async () => {
    const w = (await import('../../src/demo/world.js')).seedWorld();
    const g = worldIds(w);
    const globexInvoice = g.invoicesOf(g.globex)[0]!;
    const globexUser = g.usersOf(g.globex)[0]!;
    const globexLicense = g.licensesOf(g.globex)[0]!;
    // A billing/customers/licenses service with a bug: foreign records slip into answers.
    poisoned = await startStack({
      world: w,
      wrapUpstreams: (real: Upstreams): Upstreams => ({
        ...real,
        customers: {
          ...real.customers,
          customersByIds: async (list) => [...(await real.customers.customersByIds(list)), g.globex],
          usersByCustomers: async (list) => [...(await real.customers.usersByCustomers(list)), globexUser],
        },
        billing: {
          ...real.billing,
          invoicePages: async (requests) =>
            (await real.billing.invoicePages(requests)).map((page: InvoicePage) => ({
              ...page,
              items: [globexInvoice, ...page.items],
              cursors: ['foreign', ...page.cursors],
            })),
          // Asked for an Acme invoice, answers with a record that belongs to Globex.
          invoicesByIds: async (list) => list.map((id) => ({ ...globexInvoice, id })),
        },
        licenses: {
          ...real.licenses,
          licensesByCustomers: async (list) => [...(await real.licenses.licensesByCustomers(list)), globexLicense],
          licensesByIds: async (list) => list.map((id) => ({ ...globexLicense, id })),
        },
      }),
    });
  });
  afterAll(() => poisoned.stop());

  test('foreign records are dropped from lists, pages and lookups', async () => {
    const g = worldIds(poisoned.world);
    const result = await poisoned.gql(
      `query($a: ID!, $inv: ID!, $lic: ID!) {
        customer(id: $a) { id users { id } invoices(first: 50) { totalCount edges { node { id customer { id } } } } licenses { id } }
        invoice(id: $inv) { id number }
        license(id: $lic) { id }
      }`,
      { persona: 'alice', variables: { a: g.acme.id, inv: g.invoicesOf(g.acme)[0]!.id, lic: g.licensesOf(g.acme)[0]!.id } },
    );
    expect(result.status).toBe(200);
    expect(result.data?.invoice).toBeNull();
    expect(result.data?.license).toBeNull();
    expect(result.data?.customer.invoices.edges).toHaveLength(g.invoicesOf(g.acme).length);
    const foreign = new Set([
      g.globex.id,
      ...g.usersOf(g.globex).map((u) => u.id),
      ...g.invoicesOf(g.globex).map((i) => i.id),
      ...g.licensesOf(g.globex).map((l) => l.id),
    ]);
    const seen = [...result.text.matchAll(/"id":"([^"]+)"/g)].map((m) => m[1]!);
    expect(seen.filter((id) => foreign.has(id))).toEqual([]);
    expect(result.text).not.toContain('Globex');
  });
});

test('loader batch functions return one result per key and drop records for keys not asked for', async () => {
  const customer = (id: string): Customer => ({ id, slug: id, name: id, organizationId: `org_${id}`, createdAt: '2020-01-01T00:00:00Z' });
  const invoice = (id: string, customerId: string): Invoice => ({ ...world.invoices[0]!, id, customerId });
  const user = (id: string, customerId: string): User => ({ ...world.users[0]!, id, customerId });
  const license = (id: string, customerId: string): License => ({ ...world.licenses[0]!, id, customerId });
  const stub = {
    customers: {
      customersByIds: async () => [customer('other'), customer('a')],
      customersByOrganizations: async () => [customer('other'), customer('a')],
      usersByIds: async () => [],
      usersBySubjects: async () => [],
      usersByCustomers: async () => [user('u1', 'a'), user('u2', 'other')],
    },
    billing: {
      accountsByCustomers: async () => [],
      invoicesByIds: async () => [],
      invoicePages: async (requests: { customerId: string }[]) =>
        requests.map((r, i) => ({
          customerId: i === 1 ? 'other' : r.customerId,
          items: [invoice('i1', r.customerId), invoice('i2', 'other')],
          cursors: ['c1', 'c2'],
          totalCount: 2,
          nextCursor: null,
          hasPrevious: false,
        })),
    },
    licenses: {
      licensesByIds: async () => [],
      licensesByCustomers: async () => [license('l1', 'a'), license('l2', 'other')],
      assignmentsByLicenses: async () => [],
      usageByCustomers: async () => [],
      assignSeat: async () => {
        throw new Error('not used');
      },
      revokeSeat: async () => {},
    },
    close: async () => {},
  } as unknown as Upstreams;
  const loaders = createLoaders(stub);
  expect(await loaders.customer.loadMany(['a', 'b'])).toEqual([customer('a'), null]);
  expect(await loaders.customerByOrganization.loadMany(['org_a', 'org_b'])).toEqual([customer('a'), null]);
  expect((await loaders.usersByCustomer.load('a')).map((u) => u.id)).toEqual(['u1']);
  expect((await loaders.licensesByCustomer.load('a')).map((l) => l.id)).toEqual(['l1']);
  const [page, wrongCustomer] = await loaders.invoicePage.loadMany([
    { customerId: 'a', limit: 10, after: null },
    { customerId: 'b', limit: 10, after: null },
  ]);
  expect((page as InvoicePage).items.map((i) => i.id)).toEqual(['i1']);
  // The foreign item's cursor goes with it: edges and cursors stay paired.
  expect((page as InvoicePage).cursors).toEqual(['c1']);
  // A page labelled with another customer is an error for that key, not data.
  expect(wrongCustomer).toBeInstanceOf(Error);
});

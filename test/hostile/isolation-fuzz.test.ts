/**
 * Randomized tenant isolation: thousands of seeded random queries (aliases, nested edges,
 * foreign and unknown ids, foreign-id mutations) from every persona, interleaved
 * concurrently, each answer checked against an oracle built from the demo world: every
 * record id returned must belong to the caller's customer (support staff may read all).
 */
import { Agent, request } from 'node:http';
import { PERSONAS, type PersonaName } from '../../src/demo/personas.js';
import { customerBySlug, findUserBySubject, organizationIdOf, type DemoWorld } from '../../src/demo/world.js';
import { isKnownErrorCode } from '../../src/errors.js';
import { startStack, type TestStack } from '../helpers/stack.js';
import { seededRandom } from './leaks.js';

// Replay or widen a run with FUZZ_SEED / FUZZ_QUERIES; the defaults are what CI runs.
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_2026);
const QUERIES = Number(process.env.FUZZ_QUERIES ?? 2000);
const CONCURRENCY = 16;

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ scale: 2 });
});
afterAll(() => stack.stop());

/** Owner (customer id) of every record id in the world; null for support staff's user. */
function oracle(world: DemoWorld): Map<string, string | null> {
  const owner = new Map<string, string | null>();
  for (const c of world.customers) owner.set(c.id, c.id);
  for (const u of world.users) owner.set(u.id, u.customerId ?? null);
  for (const a of world.accounts) owner.set(a.id, a.customerId);
  for (const i of world.invoices) owner.set(i.id, i.customerId);
  for (const l of world.licenses) owner.set(l.id, l.customerId);
  return owner;
}

/** A lean keep-alive POST (fetch's web streams would dominate the run time). */
function post(
  agent: Agent,
  url: string,
  token: string,
  body: unknown,
): Promise<{ status: number; json: { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Every `id` value anywhere in a response's data. */
function idsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) idsIn(item, out);
  else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === 'id' && typeof child === 'string') out.push(child);
      else idsIn(child, out);
    }
  }
  return out;
}

test(`${QUERIES} randomized queries from all personas, interleaved, return zero foreign records`, async () => {
  const world = stack.world;
  const owner = oracle(world);
  const random = seededRandom(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const chance = (p: number) => random() < p;
  const personas = Object.keys(PERSONAS) as PersonaName[];
  // erin belongs to Acme and Globex; her token picks Globex through its organization.
  const organizationOf: Partial<Record<PersonaName, string>> = { erin: 'globex' };
  const customerOf = Object.fromEntries(
    personas.map((p) => {
      const slug = organizationOf[p];
      return [p, slug === undefined ? (findUserBySubject(world, PERSONAS[p].subject)?.customerId ?? null) : customerBySlug(world, slug).id];
    }),
  ) as Record<PersonaName, string | null>;
  const tokens = Object.fromEntries(
    await Promise.all(
      personas.map(async (p) => {
        const slug = organizationOf[p];
        return [p, await stack.token(p, { ttlSeconds: 3600, ...(slug === undefined ? {} : { organization: organizationIdOf(slug) }) })];
      }),
    ),
  ) as Record<PersonaName, string>;

  // Targets: real ids of every kind across all customers, plus made-up ones.
  const unknown = (prefix: string) =>
    `${prefix}${Math.floor(random() * 0xffffffffffff)
      .toString(16)
      .padStart(12, '0')}`;
  const customerId = () => (chance(0.1) ? unknown('cus_') : pick(world.customers).id);
  const invoiceId = () => (chance(0.1) ? unknown('inv_') : pick(world.invoices).id);
  const licenseId = () => (chance(0.1) ? unknown('lic_') : pick(world.licenses).id);
  const userId = () => (chance(0.1) ? unknown('usr_') : pick(world.users).id);

  const userSel = () => `{ id ${chance(0.5) ? 'name email' : ''} ${chance(0.4) ? 'customer { id name }' : ''} }`;
  const licenseSel = () => `{ id seats ${chance(0.5) ? 'customer { id }' : ''} ${chance(0.5) ? `assignments { user ${userSel()} }` : ''} }`;
  const invoiceSel = () => `{ id number ${chance(0.5) ? 'customer { id users { id } }' : ''} }`;
  const customerSel = () => {
    const parts = ['id'];
    if (chance(0.5)) parts.push(`users ${userSel()}`);
    if (chance(0.4)) parts.push(`invoices(first: ${1 + Math.floor(random() * 8)}) { totalCount edges { node ${invoiceSel()} } }`);
    if (chance(0.4)) parts.push(`licenses ${licenseSel()}`);
    if (chance(0.3)) parts.push('billingAccount { id customer { id } }');
    return `{ ${parts.join(' ')} }`;
  };
  type Slot = 'customer' | 'invoice' | 'license' | 'user';
  /** A random document; ids are variables, so the server parses and validates each shape once. */
  const documentShape = (): { query: string; slots: Slot[] } => {
    const slots: Slot[] = [];
    const variable = (slot: Slot) => `$v${slots.push(slot) - 1}`;
    const selection = (): string => {
      switch (Math.floor(random() * 5)) {
        case 0:
          return `customer(id: ${variable('customer')}) ${customerSel()}`;
        case 1:
          return `invoice(id: ${variable('invoice')}) ${invoiceSel()}`;
        case 2:
          return `license(id: ${variable('license')}) ${licenseSel()}`;
        case 3:
          return `viewer { user ${userSel()} customer ${customerSel()} }`;
        default:
          return `customer(id: ${variable('customer')}) { id users { id customer ${customerSel()} } }`;
      }
    };
    const count = 1 + Math.floor(random() * 3);
    const body = Array.from({ length: count }, (_, i) => `q${i}: ${selection()}`).join(' ');
    const header = slots.length === 0 ? '' : `(${slots.map((_, i) => `$v${i}: ID!`).join(', ')})`;
    return { query: `query${header} { ${body} }`, slots };
  };
  const shapes = Array.from({ length: 150 }, documentShape);
  const mutations = ['assignLicenseSeat', 'revokeLicenseSeat'].map(
    (op) => `mutation($l: ID!, $u: ID!) { m: ${op}(licenseId: $l, userId: $u) { license { id } user { id } } }`,
  );
  const idFor: Record<Slot, () => string> = { customer: customerId, invoice: invoiceId, license: licenseId, user: userId };
  const build = (): { persona: PersonaName; query: string; variables: Record<string, string>; foreignWrite: boolean } => {
    const persona = pick(personas);
    if (chance(0.05)) {
      // A seat change on a license of another customer (or an unknown one): must never happen.
      const own = customerOf[persona];
      const foreign = world.licenses.filter((l) => l.customerId !== own);
      const license = chance(0.8) ? pick(foreign).id : unknown('lic_');
      return { persona, query: pick(mutations), variables: { l: license, u: userId() }, foreignWrite: true };
    }
    const shape = pick(shapes);
    return {
      persona,
      query: shape.query,
      variables: Object.fromEntries(shape.slots.map((slot, i) => [`v${i}`, idFor[slot]()])),
      foreignWrite: false,
    };
  };

  const requests = Array.from({ length: QUERIES }, build);
  const violations: string[] = [];
  const stats = { records: 0, foreignSeenByDave: 0, errors: new Map<string, number>(), statuses: new Map<number, number>() };
  const writesBefore = stack.world.assignments.length;

  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests.length) {
        const { persona, query, variables, foreignWrite } = requests[next++]!;
        const { status, json: result } = await post(agent, stack.url, tokens[persona], { query, variables });
        stats.statuses.set(status, (stats.statuses.get(status) ?? 0) + 1);
        for (const error of result.errors ?? []) {
          const code = String(error.extensions?.code);
          stats.errors.set(code, (stats.errors.get(code) ?? 0) + 1);
          if (!isKnownErrorCode(code) || code === 'INTERNAL_SERVER_ERROR')
            violations.push(`${persona}: unexpected error ${code} ${error.message} for ${query} ${JSON.stringify(variables)}`);
        }
        if (foreignWrite && result.data?.m) violations.push(`${persona}: foreign write succeeded: ${JSON.stringify(variables)}`);
        for (const id of idsIn(result.data)) {
          stats.records++;
          if (id.startsWith('prd_')) continue; // the product catalog is shared by design
          if (!owner.has(id)) {
            violations.push(`${persona}: id ${id} not in the world (${query} ${JSON.stringify(variables)})`);
            continue;
          }
          const recordOwner = owner.get(id)!;
          if (persona === 'dave') {
            if (recordOwner !== null) stats.foreignSeenByDave++;
            continue;
          }
          if (recordOwner === null || recordOwner !== customerOf[persona]) {
            violations.push(
              `${persona} (customer ${customerOf[persona]}) saw ${id} of ${recordOwner}: ${query} ${JSON.stringify(variables)}`,
            );
          }
        }
      }
    }),
  );
  agent.destroy();

  expect(violations.slice(0, 10)).toEqual([]);
  expect(stack.world.assignments.length).toBe(writesBefore);
  expect([...stats.statuses.keys()]).toEqual([200]);
  // The oracle had real work: many records checked, and it does see foreign records when
  // they are allowed (support staff), so "zero foreign records" is not vacuous.
  expect(stats.records).toBeGreaterThan(5000);
  expect(stats.foreignSeenByDave).toBeGreaterThan(500);
  // Work, not waiting: on a loaded 2-core machine 2,000 queries may take a while.
}, 180_000);

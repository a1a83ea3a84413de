/**
 * Identity linking as the seed thread recommends (business user id in app_metadata, put in
 * the token by a post-login Action), over real HTTP against the BFF in production mode with
 * Auth0-shaped tokens: a signed user claim is trusted when that user exists, whatever identity
 * provider the subject comes from; claims never make somebody the backend does not know into a
 * customer's user; claims that contradict the backend read as nobody. Every "nobody" is one
 * `identity.rejected` line.
 */
import { PRODUCTION, startStack, type TestStack } from '../helpers/stack.js';
import { trackIdentityConcurrency } from '../helpers/upstreams.js';
import { worldFacts } from '../helpers/world.js';

const USER = 'https://bff.example.com/user_id';
const CUSTOMER = 'https://bff.example.com/customer_id';
const QUERY = `query($a: ID!, $ai: ID!) {
  viewer { subject user { id } customer { id } }
  acme: customer(id: $a) { id }
  acmeInvoice: invoice(id: $ai) { id }
}`;

let stack: TestStack;
let facts: ReturnType<typeof worldFacts>;
beforeAll(async () => {
  stack = await startStack({ env: PRODUCTION });
  facts = worldFacts(stack.world);
});
afterAll(() => stack.stop());

type Case = [name: string, subject: string, claims: () => Record<string, string>, outcome: 'alice' | string];
const cases: Case[] = [
  [
    'alice through Google: the subject is new to the backend, the user claim names her',
    'google-oauth2|1094',
    () => ({ [USER]: facts.alice.id }),
    'alice',
  ],
  ['alice with her usual subject and her user claim', 'auth0|alice', () => ({ [USER]: facts.alice.id }), 'alice'],
  ['alice with her usual subject and a confirming customer claim', 'auth0|alice', () => ({ [CUSTOMER]: facts.acme.id }), 'alice'],
  [
    'a user claim naming somebody else than the user the backend knows for this subject',
    'auth0|carol',
    () => ({ [USER]: facts.alice.id }),
    'claimed_user_contradicts_subject',
  ],
  [
    'an offboarded user: stale metadata names a user that no longer exists, with its old customer',
    'google-oauth2|1094',
    () => ({ [USER]: 'usr_000000000000', [CUSTOMER]: facts.acme.id }),
    'claimed_user_unknown',
  ],
  [
    'a subject the backend does not know, with only a customer claim',
    'google-oauth2|777',
    () => ({ [CUSTOMER]: facts.acme.id }),
    'subject_unknown',
  ],
  ['frank (unknown subject) adding a customer claim', 'auth0|frank', () => ({ [CUSTOMER]: facts.acme.id }), 'subject_unknown'],
  ['alice with a customer claim naming Globex', 'auth0|alice', () => ({ [CUSTOMER]: facts.globex.id }), 'customer_claim_mismatch'],
  [
    'alice through Google with a customer claim naming Globex',
    'google-oauth2|1094',
    () => ({ [USER]: facts.alice.id, [CUSTOMER]: facts.globex.id }),
    'customer_claim_mismatch',
  ],
];

test.each(cases)('%s', async (_name, subject, claims, outcome) => {
  const token = await stack.token('alice', { subject, claims: claims() });
  const acmeInvoice = facts.invoicesOf(facts.acme.id)[0]!.id;
  stack.logs.length = 0;
  const result = await stack.gql(QUERY, { token, variables: { a: facts.acme.id, ai: acmeInvoice } });
  expect(result.status).toBe(200);
  expect(result.errors).toBeUndefined();
  const rejected = stack.logs.filter((line) => line.msg === 'identity.rejected');
  if (outcome === 'alice') {
    expect(result.data).toEqual({
      viewer: { subject, user: { id: facts.alice.id }, customer: { id: facts.acme.id } },
      acme: { id: facts.acme.id },
      acmeInvoice: { id: acmeInvoice },
    });
    expect(rejected).toEqual([]);
  } else {
    // Nobody: Acme's data reads exactly as if it did not exist.
    expect(result.data).toEqual({ viewer: { subject, user: null, customer: null }, acme: null, acmeInvoice: null });
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ reason: outcome, subject, clientId: 'portal-app' });
    expect(stack.rawLogs()).not.toContain(token.split('.')[2]);
  }
});

test('the user claim and the subject are looked up in one wave, not one after the other', async () => {
  const concurrency = trackIdentityConcurrency();
  const parallel = await startStack({ env: PRODUCTION, wrapUpstreams: concurrency.wrap });
  try {
    const alice = worldFacts(parallel.world).alice;
    const result = await parallel.gql('{ viewer { customer { name } } }', {
      token: await parallel.token('alice', { subject: 'google-oauth2|1094', claims: { [USER]: alice.id } }),
    });
    expect(result.data!.viewer.customer).toEqual({ name: 'Acme Corp' });
    expect(concurrency.most).toBe(2);
  } finally {
    await parallel.stop();
  }
});

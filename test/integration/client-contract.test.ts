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

/** Each request's denials are one structured summary line; tokens never appear in logs. */
import { PERSONAS } from '../../src/demo/personas.js';
import { startStack, type TestStack } from '../helpers/stack.js';
import { worldFacts } from '../helpers/world.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

test('bob denied billing: one summary line with subject, customer, client, and per field the rule, reason and paths', async () => {
  const { acme } = worldFacts(stack.world);
  const token = await stack.token('bob');
  stack.logs.length = 0;
  const result = await stack.gql(`query($id: ID!) { customer(id: $id) { name billingAccount { id } invoices { totalCount } } }`, {
    token,
    variables: { id: acme.id },
  });
  expect(result.errors).toHaveLength(2);
  const summaries = stack.logs.filter((line) => line.msg === 'authz.denied');
  expect(summaries).toHaveLength(1);
  expect(summaries[0]).toMatchObject({
    level: 'info',
    subject: PERSONAS.bob.subject,
    customerId: acme.id,
    clientId: 'portal-app',
    denied: 2,
  });
  const groups = summaries[0]!.groups as Record<string, unknown>[];
  expect(groups.map((g) => g.field).sort()).toEqual(['Customer.billingAccount', 'Customer.invoices']);
  for (const group of groups) {
    expect(group).toMatchObject({ rule: 'has permission read:billing or is support staff', reason: 'FORBIDDEN', kind: 'field', count: 1 });
  }
  expect(groups.flatMap((g) => g.paths as string[]).sort()).toEqual(['customer.billingAccount', 'customer.invoices']);
  expect(stack.rawLogs()).not.toContain(token);
  expect(stack.rawLogs()).not.toContain(token.split('.')[2]);
});

test('a hidden foreign object is logged as a visibility denial, and the client sees nothing of it', async () => {
  const { acme, initech } = worldFacts(stack.world);
  stack.logs.length = 0;
  const result = await stack.gql(`query($id: ID!) { customer(id: $id) { name } }`, { persona: 'mallory', variables: { id: acme.id } });
  expect(result.data).toEqual({ customer: null });
  expect(result.errors).toBeUndefined();
  const [summary, ...rest] = stack.logs.filter((line) => line.msg === 'authz.denied');
  expect(rest).toEqual([]);
  expect(summary).toMatchObject({ subject: PERSONAS.mallory.subject, customerId: initech.id, denied: 1 });
  expect(summary!.groups).toEqual([expect.objectContaining({ field: 'Query.customer', kind: 'visibility', paths: ['customer'] })]);
});

test('a request without a denial logs no decision line', async () => {
  stack.logs.length = 0;
  await stack.gql(`{ viewer { subject } }`, { persona: 'alice' });
  expect(stack.logs.filter((line) => line.msg === 'authz.denied')).toEqual([]);
});

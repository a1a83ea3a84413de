/** Every denial is one structured log line; tokens never appear in logs. */
import { PERSONAS } from '../../src/demo/personas.js';
import { startStack, type TestStack } from '../helpers/stack.js';
import { worldFacts } from '../helpers/world.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

test('bob denied billing: one line per denied field with subject, customer, client, path, rule and reason', async () => {
  const { acme } = worldFacts(stack.world);
  const token = await stack.token('bob');
  stack.logs.length = 0;
  const result = await stack.gql(`query($id: ID!) { customer(id: $id) { name billingAccount { id } invoices { totalCount } } }`, {
    token,
    variables: { id: acme.id },
  });
  expect(result.errors).toHaveLength(2);
  const denials = stack.logs.filter((line) => line.msg === 'authz.denied');
  expect(denials).toHaveLength(2);
  expect(denials.map((d) => d.path).sort()).toEqual(['customer.billingAccount', 'customer.invoices']);
  for (const denial of denials) {
    expect(denial).toMatchObject({
      level: 'info',
      subject: PERSONAS.bob.subject,
      customerId: acme.id,
      clientId: 'portal-app',
      rule: 'has permission read:billing or is support staff',
      reason: 'FORBIDDEN',
      kind: 'field',
    });
  }
  expect(stack.rawLogs()).not.toContain(token);
  expect(stack.rawLogs()).not.toContain(token.split('.')[2]);
});

test('a hidden foreign object is logged as a visibility denial, and the client sees nothing of it', async () => {
  const { acme, initech } = worldFacts(stack.world);
  stack.logs.length = 0;
  const result = await stack.gql(`query($id: ID!) { customer(id: $id) { name } }`, { persona: 'mallory', variables: { id: acme.id } });
  expect(result.data).toEqual({ customer: null });
  expect(result.errors).toBeUndefined();
  const [denial, ...rest] = stack.logs.filter((line) => line.msg === 'authz.denied');
  expect(rest).toEqual([]);
  expect(denial).toMatchObject({
    subject: PERSONAS.mallory.subject,
    customerId: initech.id,
    path: 'customer',
    field: 'Query.customer',
    kind: 'visibility',
  });
});

test('a request without a denial logs no decision line', async () => {
  stack.logs.length = 0;
  await stack.gql(`{ viewer { subject } }`, { persona: 'alice' });
  expect(stack.logs.filter((line) => line.msg === 'authz.denied')).toEqual([]);
});

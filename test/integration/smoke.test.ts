import { customerBySlug } from '../../src/demo/world.js';
import { startStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

test('alice reads her customer over real HTTP with a real token', async () => {
  const acme = customerBySlug(stack.world, 'acme');
  const result = await stack.gql(`query($id: ID!) { customer(id: $id) { id name } }`, { persona: 'alice', variables: { id: acme.id } });
  expect(result.status).toBe(200);
  expect(result.errors).toBeUndefined();
  expect(result.data).toEqual({ customer: { id: acme.id, name: 'Acme Corp' } });
});

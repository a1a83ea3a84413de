/** In production: no landing page, no introspection. */
import { startStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
beforeAll(async () => {
  // Free-form documents allowed explicitly: these tests send ad-hoc queries (trusted documents
  // in production are tested in trusted-documents.test.ts).
  stack = await startStack({ env: { NODE_ENV: 'production', ALLOW_FREE_FORM_DOCUMENTS: 'true' } });
});
afterAll(() => stack.stop());

test('no landing page, no explorer assets, no token', async () => {
  const response = await fetch(stack.url, { headers: { accept: 'text/html' } });
  expect(response.headers.get('content-type')).not.toContain('text/html');
  const text = await response.text();
  expect(text).not.toContain('EmbeddedSandbox');
  expect(text).not.toContain('Bearer ');
  for (const asset of ['graphiql.min.js', 'graphiql.min.css', 'react.production.min.js']) {
    expect((await fetch(`${stack.url}/explorer/${asset}`)).status).toBe(404);
  }
});

test('introspection is refused', async () => {
  const result = await stack.gql('{ __schema { types { name } } }', { persona: 'alice' });
  expect(result.data).toBeUndefined();
  expect(result.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
});

test('queries still work', async () => {
  const result = await stack.gql('{ viewer { subject } }', { persona: 'alice' });
  expect(result.data).toEqual({ viewer: { subject: 'auth0|alice' } });
});

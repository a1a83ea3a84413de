/**
 * Trusted documents as an SPA team meets them: the client preset writes a persisted-documents
 * manifest, the BFF loads it, and in production the SPA sends ids (documentId, or Apollo's APQ
 * extension) while free-form documents are refused, except for a configured permission.
 */
import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { PERSONAS } from '../../src/demo/personas.js';
import { clientPresetManifest, fixture, writeManifest } from '../helpers/client-preset.js';
import { smallRequestsInFlight } from '../../src/limits/budget.js';
import { startStack, type TestStack } from '../helpers/stack.js';
import { worldFacts } from '../helpers/world.js';

const DEBUG_PERMISSION = 'debug:graphql';
let stack: TestStack;
let manifest: Record<string, string>;
let token: string;
const idOf = (name: string) => Object.entries(manifest).find(([, text]) => new RegExp(`(query|mutation) ${name}\\b`).test(text))![0];
const hex = (text: string) => createHash('sha256').update(text).digest('hex');

beforeAll(async () => {
  const generated = await clientPresetManifest([fixture('spa/operations.graphql')]);
  manifest = generated.manifest;
  stack = await startStack({
    env: { NODE_ENV: 'production', TRUSTED_DOCUMENTS: generated.path, FREE_FORM_DOCUMENTS_PERMISSION: DEBUG_PERMISSION },
  });
  token = await stack.token('alice');
});
afterAll(() => stack.stop());

const post = async (body: Record<string, unknown>, bearer: string | null = token) => {
  const response = await fetch(stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) as { data?: any; errors?: any[] } };
};

test('the client preset manifest has sha256 ids of each operation with its fragments', () => {
  expect(Object.keys(manifest)).toHaveLength(3);
  for (const [id, text] of Object.entries(manifest)) expect(id).toBe(`sha256:${hex(text)}`);
});

test('an SPA runs its operations by documentId, as the client preset sends it', async () => {
  const dashboard = await post({ documentId: idOf('Dashboard') });
  expect(dashboard.status).toBe(200);
  expect(dashboard.body.data.viewer.customer.name).toBe('Acme Corp');
  const acme = worldFacts(stack.world).acme;
  const page = await post({ documentId: idOf('InvoicePage'), variables: { customerId: acme.id, first: 2 }, operationName: 'InvoicePage' });
  expect(page.body.errors).toBeUndefined();
  expect(page.body.data.customer.invoices.edges).toHaveLength(2);
});

test("Apollo's APQ shape works too: POST and GET with extensions.persistedQuery (plain hex)", async () => {
  const sha256Hash = idOf('Dashboard').replace(/^sha256:/, '');
  const viaPost = await post({ extensions: { persistedQuery: { version: 1, sha256Hash } } });
  expect(viaPost.body.data.viewer.subject).toBe(PERSONAS.alice.subject);
  const search = new URLSearchParams({ extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash } }) });
  const viaGet = await fetch(`${stack.url}?${search}`, {
    headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
  });
  expect(viaGet.status).toBe(200);
  expect(((await viaGet.json()) as any).data.viewer.subject).toBe(PERSONAS.alice.subject);
});

test('free-form documents are refused in production with PERSISTED_QUERY_NOT_IN_LIST, and logged', async () => {
  const refused = await post({ query: '{ viewer { subject } }' });
  expect(refused.status).toBe(400);
  expect(refused.body.data).toBeUndefined();
  expect(refused.body.errors?.map((e) => e.extensions.code)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
  expect(stack.logs.some((line) => line.msg === 'documents.free_form_refused' && line.subject === PERSONAS.alice.subject)).toBe(true);
  // Not even parsed: a broken or schema-probing document gets the same answer, no validation hints.
  const probe = await post({ query: '{ viewer { secretField } }' });
  expect(probe.body.errors?.map((e) => e.extensions.code)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
  // Refused once the caller is known, after the context was built: nothing of it stays in flight.
  expect(smallRequestsInFlight()).toBe(0);
});

test('the exact text of a trusted document is that document, with or without its id', async () => {
  const text = manifest[idOf('Dashboard')]!;
  expect((await post({ query: text })).body.data.viewer.subject).toBe(PERSONAS.alice.subject);
  expect((await post({ query: text, documentId: idOf('Dashboard') })).body.data.viewer.subject).toBe(PERSONAS.alice.subject);
});

test('a caller holding FREE_FORM_DOCUMENTS_PERMISSION may send free-form documents', async () => {
  const debug = await stack.issuer.sign(
    { azp: 'support-console', scope: 'openid', permissions: [...PERSONAS.alice.permissions, DEBUG_PERMISSION] },
    { subject: PERSONAS.alice.subject },
  );
  expect(decodeJwt(debug).permissions).toContain(DEBUG_PERMISSION);
  const result = await post({ query: '{ viewer { subject } }' }, debug);
  expect(result.body).toEqual({ data: { viewer: { subject: PERSONAS.alice.subject } } });
});

test('an unknown id is PERSISTED_QUERY_NOT_FOUND; in APQ shape with Apollo’s wording, so its link retries with the query', async () => {
  const unknown = `sha256:${hex('{ viewer { subject } }')}`;
  const byId = await post({ documentId: unknown });
  expect(byId.body.errors?.map((e) => e.extensions.code)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  const apq = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: hex('{ viewer { subject } }') } } });
  expect(apq.status).toBe(200);
  expect(apq.headers.get('cache-control')).toBe('private, no-cache, must-revalidate');
  expect(apq.body.errors).toEqual([{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }]);
  // A malformed id is just as unknown.
  expect((await post({ documentId: 'Dashboard:v1' })).body.errors?.[0]?.extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
});

test('an id and a query that disagree are refused, as are two different ids', async () => {
  const mismatch = await post({ documentId: idOf('Dashboard'), query: '{ viewer { permissions } }' });
  expect(mismatch.status).toBe(400);
  expect(mismatch.body.errors?.[0]).toMatchObject({
    extensions: { code: 'BAD_REQUEST' },
    message: expect.stringMatching(/does not match its document id/),
  });
  const apqMismatch = await post({
    query: '{ viewer { permissions } }',
    extensions: { persistedQuery: { version: 1, sha256Hash: hex('{ viewer { subject } }') } },
  });
  expect(apqMismatch.status).toBe(400);
  const two = await post({
    documentId: idOf('Dashboard'),
    extensions: { persistedQuery: { version: 1, sha256Hash: idOf('InvoicePage').slice(7) } },
  });
  expect(two.status).toBe(400);
  expect(two.body.errors?.[0]?.message).toMatch(/different documents/);
});

test('authentication comes first: an id without a token is 401', async () => {
  expect((await post({ documentId: idOf('Dashboard') }, null)).status).toBe(401);
});

describe('without manifests, in development', () => {
  let dev: TestStack;
  beforeAll(async () => {
    dev = await startStack();
  });
  afterAll(() => dev.stop());

  test("Apollo Client's APQ flow: the hash alone is not found, the retry with the query runs", async () => {
    const query = '{ viewer { subject } }';
    const extensions = { persistedQuery: { version: 1, sha256Hash: hex(query) } };
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${await dev.token('bob')}` };
    const first = await fetch(dev.url, { method: 'POST', headers, body: JSON.stringify({ extensions }) });
    expect(((await first.json()) as any).errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const retry = await fetch(dev.url, { method: 'POST', headers, body: JSON.stringify({ query, extensions }) });
    expect(await retry.json()).toEqual({ data: { viewer: { subject: PERSONAS.bob.subject } } });
  });
});

describe('start-up refuses manifests the server could not honour, naming the document', () => {
  const start = (manifestPath: string) => startStack({ env: { TRUSTED_DOCUMENTS: manifestPath } });

  test('an entry whose id is not the sha256 of its document', async () => {
    const text = '{ viewer { subject } }';
    const wrong = `sha256:${hex('{ viewer { permissions } }')}`;
    await expect(start(writeManifest({ [wrong]: text }))).rejects.toThrow(
      new RegExp(`manifest\\.json: ${wrong}: the id is not the sha256 of its document`),
    );
  });

  test('a document over a query limit, with its numbers', async () => {
    const deep =
      'query TooDeep { viewer { customer { users { customer { users { customer { users { customer { users { customer { name } } } } } } } } } } }';
    await expect(start(writeManifest({ [`sha256:${hex(deep)}`]: deep }))).rejects.toThrow(
      /\(TooDeep\): The query is nested too deeply\. \(depth 11, limit GRAPHQL_MAX_DEPTH=10\)/,
    );
  });
});

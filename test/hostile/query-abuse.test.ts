/**
 * Query abuse against production settings: shape limits (depth, aliases, directives, tokens,
 * cost, including the `__schema` bypasses), fragment cycles, introspection and suggestions,
 * batching, page size, body size, CSRF, mutations over GET and CORS. Every refusal is a
 * known code, says which limit was hit but never its value, and leaks nothing.
 */
import { connect } from 'node:net';
import { GraphQLError } from 'graphql';
import { customerBySlug } from '../../src/demo/world.js';
import { loadConfig } from '../../src/config.js';
import { LIMIT_MESSAGES, queryProtection } from '../../src/limits/query-shape.js';
import { startStack, type GqlResult, type TestStack } from '../helpers/stack.js';
import { expectKnownCodes, expectNoLeak } from './leaks.js';

const DEFAULT_QUERY_LIMITS = loadConfig({}).queryLimits;

let stack: TestStack;
let token: string;
let acmeId: string;

beforeAll(async () => {
  // Free-form documents allowed: the abuse below is what a client could send where they are.
  stack = await startStack({ env: { NODE_ENV: 'production', MAX_PAGE_SIZE: '5', ALLOW_FREE_FORM_DOCUMENTS: 'true' } });
  token = await stack.token('alice');
  acmeId = customerBySlug(stack.world, 'acme').id;
});
afterAll(() => stack.stop());

const gql = (query: string, variables?: Record<string, unknown>) => stack.gql(query, { token, ...(variables ? { variables } : {}) });

/** Refused before execution: 400, one known code, the limit named, its value not. */
function expectRefused(result: GqlResult<unknown>, code: string, message?: string): void {
  expect(result.status).toBe(400);
  expect(result.data ?? null).toBeNull();
  expect(result.errors?.map((e) => e.extensions?.code)).toContain(code);
  if (message !== undefined) expect(result.errors?.map((e) => e.message)).toContain(message);
  expectKnownCodes(result);
  const limits = Object.values(DEFAULT_QUERY_LIMITS).map((n) => `${n}`);
  for (const error of result.errors ?? []) for (const n of limits) expect(error.message).not.toMatch(new RegExp(`\\b${n}\\b`));
  expectNoLeak(result);
}

/** `depth` nested levels of customer/users below `viewer`. */
function nested(depth: number): string {
  let inner = 'name';
  for (let i = 0; i < depth; i++) inner = i % 2 === 0 ? `customer { ${inner} }` : `users { ${inner} }`;
  return inner;
}

describe('shape limits', () => {
  test('a legitimate dashboard query passes every limit', async () => {
    const result = await gql(
      `query($id: ID!) { viewer { subject user { name role } } customer(id: $id) { name users { id name email role } billingAccount { balance { amount currency } }
        invoices(first: 5) { totalCount pageInfo { hasNextPage endCursor } edges { node { id number status total { amount currency } lines { description quantity amount { amount } } } } }
        licenses { product { name } status seats seatsUsed assignments { assignedAt user { name } } } usage { period activeUsers forecast { apiCalls } } } }`,
      { id: acmeId },
    );
    expect(result.status).toBe(200);
    expect(result.errors).toBeUndefined();
  });

  test('depth over the limit is refused', async () => {
    expectRefused(await gql(`{ viewer { ${nested(DEFAULT_QUERY_LIMITS.maxDepth)} } }`), 'GRAPHQL_VALIDATION_FAILED', LIMIT_MESSAGES.depth);
  });

  test('depth counts fields, not fragment spreads: a query factored into fragments has the depth of the same query inline', async () => {
    // Single objects all the way down, so only depth is at stake (not the cost estimate).
    const chain =
      'customer { billingAccount { customer { billingAccount { customer { billingAccount { customer { billingAccount { id } } } } } } } }';
    const inline = `query($id: ID!) { invoice(id: $id) { ${chain} } }`;
    const factored = `query($id: ID!) { invoice(id: $id) { ...InvoiceCustomer } }
      fragment InvoiceCustomer on Invoice { customer { billingAccount { ...AccountTree } } }
      fragment AccountTree on BillingAccount { customer { billingAccount { customer { ... on Customer { billingAccount { customer { billingAccount { id } } } } } } } }`;
    const variables = { id: stack.world.invoices.find((i) => i.customerId === acmeId)!.id };
    // Ten levels of fields, the default limit: both forms pass, and answer alike.
    expect(DEFAULT_QUERY_LIMITS.maxDepth).toBe(10);
    const [a, b] = await Promise.all([gql(inline, variables), gql(factored, variables)]);
    expect([a.status, a.errors]).toEqual([200, undefined]);
    expect(b.data).toEqual(a.data);
    // One more level of fields is refused, however the query is written.
    const deeper = factored.replace('billingAccount { id }', 'billingAccount { customer { id } }');
    expectRefused(await gql(deeper, variables), 'GRAPHQL_VALIDATION_FAILED', LIMIT_MESSAGES.depth);
  });

  test('depth bypass through a fragment named __schema is refused', async () => {
    const query = `{ viewer { customer { users { ...__schema } } } }
      fragment __schema on User { customer { ${nested(DEFAULT_QUERY_LIMITS.maxDepth)} } }`;
    expectRefused(await gql(query), 'GRAPHQL_VALIDATION_FAILED', LIMIT_MESSAGES.depth);
  });

  test('depth bypass through a field aliased __schema is refused', async () => {
    expectRefused(
      await gql(`{ __schema: viewer { ${nested(DEFAULT_QUERY_LIMITS.maxDepth)} } }`),
      'GRAPHQL_VALIDATION_FAILED',
      LIMIT_MESSAGES.depth,
    );
  });

  test('deep introspection (__schema → ofType chains) is not exempt in production', async () => {
    let ofType = 'name';
    for (let i = 0; i < 12; i++) ofType = `ofType { ${ofType} }`;
    const result = await gql(`{ __schema { types { fields { type { ${ofType} } } } } }`);
    expectRefused(result, 'GRAPHQL_VALIDATION_FAILED', LIMIT_MESSAGES.depth);
  });

  test('too many aliases are refused, including aliases named __typename', async () => {
    const aliases = Array.from({ length: DEFAULT_QUERY_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: viewer { subject }`).join(' ');
    expectRefused(await gql(`{ ${aliases} }`), 'GRAPHQL_VALIDATION_FAILED', LIMIT_MESSAGES.aliases);
    // graphql-armor's default allow-list skips aliases *named* __typename; ours counts them.
    const sneaky = Array.from({ length: DEFAULT_QUERY_LIMITS.maxAliases + 1 }, (_, i) => `v${i}: viewer { __typename: subject }`).join(' ');
    expectRefused(await gql(`{ ${sneaky} }`), 'GRAPHQL_VALIDATION_FAILED', LIMIT_MESSAGES.aliases);
  });

  test('too many directives are refused', async () => {
    const directives = Array.from({ length: DEFAULT_QUERY_LIMITS.maxDirectives + 1 }, () => '@include(if: true)').join(' ');
    expectRefused(await gql(`{ viewer { subject ${directives} } }`), 'GRAPHQL_VALIDATION_FAILED', LIMIT_MESSAGES.directives);
  });

  test('too many tokens are refused while parsing, before validation', async () => {
    const fields = Array.from({ length: DEFAULT_QUERY_LIMITS.maxTokens }, () => 'subject').join(' ');
    expectRefused(await gql(`{ viewer { ${fields} } }`), 'GRAPHQL_PARSE_FAILED', LIMIT_MESSAGES.tokens);
  });

  test('fragment cycles are refused and the server stays up', async () => {
    const result = await gql(`{ viewer { ...A } } fragment A on Viewer { subject ...B } fragment B on Viewer { user { name } ...A }`);
    expectRefused(result, 'GRAPHQL_VALIDATION_FAILED');
    const selfCycle = await gql(`{ viewer { ...A } } fragment A on Viewer { ...A }`);
    expectRefused(selfCycle, 'GRAPHQL_VALIDATION_FAILED');
    expect((await gql('{ viewer { subject } }')).status).toBe(200);
  });
});

describe('schema secrecy', () => {
  test('introspection is off', async () => {
    expectRefused(await gql('{ __schema { types { name } } }'), 'GRAPHQL_VALIDATION_FAILED');
    expectRefused(await gql('{ __type(name: "Customer") { fields { name } } }'), 'GRAPHQL_VALIDATION_FAILED');
  });

  test('no "Did you mean" suggestion anywhere: fields, arguments, types, variables, fragments', async () => {
    const probes: [string, Record<string, unknown>?][] = [
      ['{ viewer { subjct } }'],
      ['{ viewr { subject } }'],
      [`query($id: ID!) { customer(id: $id) { invoices(frist: 3) { totalCount } } }`, { id: acmeId }],
      ['query($id: Strin!) { customer(id: $id) { name } }', { id: acmeId }],
      ['query($id: ID!) { customer(id: $id) { ... on Custmer { name } } }', { id: acmeId }],
      ['{ viewer { ...F } } fragment F on Viewr { subject }'],
      ['query($first: Int!) { viewer { customer { invoices(first: $first) { totalCount } } } }', { first: 'ten' }],
      ['query($id: ID!) { customer(id: $id) { name } }', { id: { $ne: null } }],
      ['query($id: ID!) { customer(id: $id) { name } }', {}],
      ['{ viewer { subject @skp(if: true) } }'],
      ['mutation { assignLicenseSeat(licenceId: "x", userId: "y") { user { id } } }'],
    ];
    for (const [query, variables] of probes) {
      const result = await gql(query, variables);
      expect(result.status).toBe(400);
      expect(result.errors?.length).toBeGreaterThan(0);
      expect(result.text).not.toMatch(/did you mean/i);
      expectKnownCodes(result);
      expectNoLeak(result);
    }
  });

  test('suggestions in errors Apollo does not scrub (e.g. enum or input-object variable coercion) are stripped too', async () => {
    const [hygiene] = queryProtection(DEFAULT_QUERY_LIMITS, { production: true }).plugins;
    const errors = [
      new GraphQLError(
        'Variable "$status" got invalid value "PAIDD"; Value "PAIDD" does not exist in "InvoiceStatus" enum. Did you mean the enum value "PAID"?',
      ),
      new GraphQLError(
        'Variable "$input" got invalid value { nmae: "x" }; Field "nmae" is not defined by type "Input". Did you mean "name"? More text.',
      ),
    ];
    const listener = await (
      hygiene as { requestDidStart: () => Promise<{ didEncounterErrors: (c: unknown) => Promise<void> }> }
    ).requestDidStart();
    await listener.didEncounterErrors({ errors });
    for (const error of errors) expect(error.message).not.toMatch(/did you mean/i);
    expect(errors[0]!.message).toBe('Variable "$status" got invalid value "PAIDD"; Value "PAIDD" does not exist in "InvoiceStatus" enum.');
  });
});

describe('bad input is a clear error, never an internal one', () => {
  test('a subscription is refused while validating, with no error-level log line', async () => {
    const before = stack.logs.length;
    const result = await gql('subscription { viewer { subject } }');
    expect(result.status).toBe(400);
    expect(result.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([
      ['GRAPHQL_VALIDATION_FAILED', 'This API has no subscriptions: send a query or a mutation.'],
    ]);
    expect(stack.logs.slice(before).filter((line) => line.level === 'error')).toEqual([]);
  });

  test('a malformed cursor is BAD_USER_INPUT on its own page, other pages intact', async () => {
    const page = (alias: string, after: string | null) =>
      `${alias}: invoices(first: 2${after === null ? '' : `, after: ${JSON.stringify(after)}`}) { edges { node { number } } }`;
    // One the server can tell is no cursor, one only the billing API can refuse, and a good page.
    const query = `query($id: ID!) { customer(id: $id) { ${page('junk', 'not a cursor \u0000')} ${page('forged', 'AAAA')} ${page('good', null)} } }`;
    const before = stack.logs.length;
    const result = await gql(query, { id: acmeId });
    expect(result.status).toBe(200);
    expect(result.data?.customer.junk).toBeNull();
    expect(result.data?.customer.forged).toBeNull();
    expect(result.data?.customer.good.edges).toHaveLength(2);
    expect(result.errors?.map((e) => [e.path?.join('.'), e.extensions?.code]).sort()).toEqual([
      ['customer.forged', 'BAD_USER_INPUT'],
      ['customer.junk', 'BAD_USER_INPUT'],
    ]);
    expect(stack.logs.slice(before).filter((line) => line.level === 'error')).toEqual([]);
  });
});

describe('HTTP front door', () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
      body,
    });

  test('array batching is refused', async () => {
    const response = await post(JSON.stringify([{ query: '{ viewer { subject } }' }, { query: '{ viewer { subject } }' }]));
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).not.toContain('auth0|alice');
    expectNoLeak({ text });
  });

  test('first is clamped to the maximum page size', async () => {
    // Through a variable: a literal `first: 1000` is already refused by the cost limit.
    const result = await gql(
      `query($id: ID!, $first: Int!) { customer(id: $id) { invoices(first: $first) { totalCount pageInfo { hasNextPage } edges { node { id } } } } }`,
      {
        id: acmeId,
        first: 1000,
      },
    );
    expect(result.status).toBe(200);
    expect(result.data?.customer.invoices.edges).toHaveLength(5);
    expect(result.data?.customer.invoices.pageInfo.hasNextPage).toBe(true);
    expect(result.data?.customer.invoices.totalCount).toBeGreaterThan(5);
  });

  test('first below 1 or beyond Int is refused with a clear code', async () => {
    const zero = await gql(`query($id: ID!) { customer(id: $id) { invoices(first: 0) { totalCount } } }`, { id: acmeId });
    expect(zero.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expectNoLeak(zero);
    const huge = await gql(`query($id: ID!) { customer(id: $id) { invoices(first: 99999999999) { totalCount } } }`, { id: acmeId });
    expect(huge.status).toBe(400);
    expectKnownCodes(huge);
    expectNoLeak(huge);
  });

  test('a body over the limit gets 413, declared or streamed', async () => {
    const big = JSON.stringify({ query: `{ viewer { subject } } # ${'x'.repeat(150 * 1024)}` });
    const declared = await post(big);
    expect(declared.status).toBe(413);
    expectNoLeak({ text: await declared.text() }, ['102400', '100 KB']);
    // Chunked, no content-length: the limit is enforced while reading.
    const chunks = (async function* () {
      for (let i = 0; i < 40; i++)
        yield new TextEncoder().encode(i === 0 ? '{"query":"{ viewer { subject } }","pad":"' : 'y'.repeat(8 * 1024));
    })();
    const streamed = await fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: chunks as unknown as RequestInit['body'],
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  test('invalid JSON is a 400 that does not echo the parser error', async () => {
    for (const body of [
      '{"query": "{ viewer { subject } }"',
      '{"query": 12}',
      'null',
      '"just a string"',
      '{"query": "{ viewer { subject } }", "variables": "x"}',
    ]) {
      const response = await post(body);
      expect(response.status).toBe(400);
      expectNoLeak({ text: await response.text() });
    }
  });

  test('CSRF: a GET or a simple-content-type POST without a preflight header is refused', async () => {
    const get = await fetch(`${stack.url}?query=${encodeURIComponent('{ viewer { subject } }')}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(get.status).toBe(400);
    expect(await get.text()).not.toContain('auth0|alice');
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await post(JSON.stringify({ query: '{ viewer { subject } }' }), { 'content-type': contentType });
      expect(response.status).toBe(400);
      const text = await response.text();
      expect(text).not.toContain('auth0|alice');
      expectNoLeak({ text });
    }
  });

  test('mutations over GET are refused even with the preflight header', async () => {
    const query = 'mutation { revokeLicenseSeat(licenseId: "x", userId: "y") { user { id } } }';
    const response = await fetch(`${stack.url}?query=${encodeURIComponent(query)}`, {
      headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(405);
    expectNoLeak({ text: await response.text() });
    // A query over GET with the header is fine: the refusal is about the mutation.
    const ok = await fetch(`${stack.url}?query=${encodeURIComponent('{ viewer { subject } }')}`, {
      headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
    });
    expect(ok.status).toBe(200);
  });

  test('CORS: only allow-listed origins get a grant; others are refused before any work', async () => {
    const body = JSON.stringify({ query: '{ viewer { subject } }' });
    const allowed = await post(body, { origin: 'https://portal.example.com' });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://portal.example.com');
    expect(allowed.headers.get('vary')).toMatch(/origin/i);
    for (const origin of ['https://evil.example', 'https://portal.example.com.evil.example', 'null', 'http://portal.example.com']) {
      const denied = await post(body, { origin });
      expect(denied.status).toBe(403);
      expect(denied.headers.get('access-control-allow-origin')).toBeNull();
      expect(await denied.text()).not.toContain('auth0|alice');
    }
    const preflight = await fetch(stack.url, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://portal.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    const badPreflight = await fetch(stack.url, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(badPreflight.status).toBe(403);
    expect(badPreflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('a request target that does not parse is a 4xx, not a crash', async () => {
    const { port } = new URL(stack.url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.end('GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 4\d\d/);
    expectNoLeak({ text: raw });
  });

  test('probes and unknown paths never answer with a stack trace', async () => {
    const responses = await Promise.all([
      fetch(new URL('/healthz', stack.url)),
      fetch(new URL('/graphql/../../etc/passwd', stack.url)),
      fetch(new URL('/%E0%A4%A', stack.url)),
      fetch(stack.url, { method: 'PUT', headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true' }, body: '{}' }),
      fetch(stack.url, { method: 'DELETE', headers: { 'apollo-require-preflight': 'true' } }),
      post(JSON.stringify({ query: '{ viewer { subject } }', operationName: 'Nope' })),
      post(JSON.stringify({ query: 'query A { viewer { subject } } query B { viewer { subject } }' })),
      post(JSON.stringify({ query: '' })),
      post(JSON.stringify({ query: '{ viewer { subject } }', extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } })),
    ]);
    for (const response of responses) {
      expect(response.status).toBeLessThan(500);
      expectNoLeak({ text: await response.text() });
    }
  });
});

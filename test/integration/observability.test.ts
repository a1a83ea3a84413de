/**
 * What an operator sees of a request: its id and its trace followed from the client through the
 * BFF to the upstreams, one log line per request, and metrics that count what was denied under
 * which rule. Real HTTP, real signed tokens, the demo upstreams recording what they receive.
 */
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { describeRule } from '../../src/authz/describe.js';
import { policy } from '../../src/authz/policy.js';
import { PRODUCTION, startStack, type TestStack } from '../helpers/stack.js';
import { worldFacts } from '../helpers/world.js';

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('tracing on (in-memory exporter)', () => {
  let stack: TestStack;
  const exporter = new InMemorySpanExporter();
  beforeAll(async () => {
    stack = await startStack({ env: PRODUCTION, spanExporter: exporter });
  });
  afterAll(() => stack.stop());
  beforeEach(() => exporter.reset());

  test('the request id and the trace id flow from the client through the BFF to every upstream call, and back', async () => {
    const acme = stack.world.customers.find((c) => c.name === 'Acme Corp')!.id;
    const calls = () => [stack.demo.customers, stack.demo.billing, stack.demo.licenses].flatMap((s) => s.stats.recent);
    const before = calls().length;
    const result = await stack.gql(
      'query CustomerPage($id: ID!) { viewer { subject } customer(id: $id) { name billingAccount { id } usage { activeUsers } } }',
      { persona: 'alice', variables: { id: acme }, headers: { 'x-request-id': 'req-7f3a', traceparent: TRACEPARENT } },
    );
    expect(result.status).toBe(200);
    expect(result.errors).toBeUndefined();
    expect(result.headers.get('x-request-id')).toBe('req-7f3a');

    // Upstream side: every call of this request carries its id and the client's trace.
    const upstream = calls().slice(before);
    expect(upstream.length).toBeGreaterThanOrEqual(3);
    for (const call of upstream) {
      expect(call.requestId).toBe('req-7f3a');
      expect(call.traceparent).toMatch(new RegExp(`^00-${CLIENT_TRACE}-[0-9a-f]{16}-01$`));
    }

    // BFF side: one trace, rooted at the client's span.
    const spans = exporter.getFinishedSpans();
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([CLIENT_TRACE]));
    const server = spans.find((s) => s.name === 'POST /graphql')!;
    expect(parentOf(server)).toBe(CLIENT_SPAN);
    expect(server.attributes).toMatchObject({
      'http.response.status_code': 200,
      'graphql.operation.name': 'CustomerPage',
      'bff.request_id': 'req-7f3a',
    });
    const execute = spans.find((s) => s.name === 'graphql.execute')!;
    for (const name of ['graphql.parse', 'graphql.validate', 'graphql.execute']) {
      expect(parentOf(spans.find((s) => s.name === name)!)).toBe(server.spanContext().spanId);
    }
    // Each upstream call is a client span under execute, and is the parent the upstream was told about.
    const clientSpans = spans.filter((s) => s.attributes['peer.service'] !== undefined);
    expect(clientSpans).toHaveLength(upstream.length);
    for (const span of clientSpans) expect(parentOf(span)).toBe(execute.spanContext().spanId);
    expect(new Set(upstream.map((c) => c.traceparent!.split('-')[2]))).toEqual(new Set(clientSpans.map((s) => s.spanContext().spanId)));
    expect(clientSpans.map((s) => s.attributes['peer.service'])).toEqual(expect.arrayContaining(['customers', 'billing', 'licenses']));

    // Decisions that waited for data: named after their rule, with an outcome, and no data.
    const decisions = spans.filter((s) => s.name.startsWith('authz '));
    expect(decisions.length).toBeGreaterThan(0);
    for (const decision of decisions) {
      expect(Object.keys(decision.attributes).sort()).toEqual(['authz.coordinate', 'authz.outcome', 'authz.rule']);
      expect(parentOf(decision)).toBe(execute.spanContext().spanId);
    }
    expect(decisions.map((s) => s.attributes['authz.outcome'])).not.toContain(undefined);

    // And the request's log line ties it together.
    const line = stack.logs.find((l) => l.msg === 'http.request' && l.requestId === 'req-7f3a')!;
    expect(line).toMatchObject({
      traceId: CLIENT_TRACE,
      method: 'POST',
      operationName: 'CustomerPage',
      status: 200,
      outcome: 'ok',
      subject: expect.any(String),
      customerId: acme,
    });
    expect(typeof line.durationMs).toBe('number');
  });

  test('seat changes carry the request id and the trace to the license API too', async () => {
    const facts = worldFacts(stack.world);
    const analytics = facts.licenseOf(facts.acme.id, 'analytics');
    const taken = new Set(facts.assignmentsOf(analytics.id).map((a) => a.userId));
    const user = facts.usersOf(facts.acme.id).find((u) => !taken.has(u.id))!;
    const mutation = (name: string) => `mutation { ${name}(licenseId: "${analytics.id}", userId: "${user.id}") { seatsUsed } }`;
    for (const [name, operation] of [
      ['assignLicenseSeat', 'POST /licenses/{licenseId}/assignments'],
      ['revokeLicenseSeat', 'DELETE /licenses/{licenseId}/assignments/{userId}'],
    ] as const) {
      exporter.reset();
      const before = stack.demo.licenses.stats.recent.length;
      const result = await stack.gql(mutation(name), {
        persona: 'alice',
        headers: { 'x-request-id': `seat-${name}`, traceparent: TRACEPARENT },
      });
      expect(result.errors).toBeUndefined();
      const write = stack.demo.licenses.stats.recent.slice(before).find((call) => call.operation === operation)!;
      expect(write).toMatchObject({ requestId: `seat-${name}`, traceparent: expect.stringContaining(CLIENT_TRACE) });
      const span = exporter.getFinishedSpans().find((s) => s.spanContext().spanId === write.traceparent!.split('-')[2])!;
      expect(span.attributes).toMatchObject({ 'peer.service': 'licenses', 'http.request.method': operation.split(' ')[0] });
    }
  });

  test('a request without trace context starts a new trace; the upstream still gets one', async () => {
    const before = stack.demo.customers.stats.recent.length;
    await stack.gql('{ viewer { customer { name } } }', { persona: 'bob' });
    const server = exporter.getFinishedSpans().find((s) => s.name === 'POST /graphql')!;
    expect(server.parentSpanContext).toBeUndefined();
    const [call] = stack.demo.customers.stats.recent.slice(before);
    expect(call!.traceparent!.split('-')[1]).toBe(server.spanContext().traceId);
  });
});

describe('tracing off (the default)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ env: PRODUCTION });
  });
  afterAll(() => stack.stop());

  test('no tracer exists, and the client’s trace context reaches the upstreams unchanged', async () => {
    expect(stack.app.tracing).toBeUndefined();
    const before = stack.demo.customers.stats.recent.length;
    const result = await stack.gql('{ viewer { customer { name } } }', { headers: { traceparent: TRACEPARENT, tracestate: 'vendor=1' } });
    expect(result.status).toBe(200);
    const [call] = stack.demo.customers.stats.recent.slice(before);
    expect(call).toMatchObject({ traceparent: TRACEPARENT, tracestate: 'vendor=1', requestId: result.headers.get('x-request-id') });
    // A malformed traceparent is not passed on.
    const next = stack.demo.customers.stats.recent.length;
    await stack.gql('{ viewer { customer { name } } }', { headers: { traceparent: `00-${'z'.repeat(32)}-${'0'.repeat(16)}-01 ; evil` } });
    expect(stack.demo.customers.stats.recent.slice(next)[0]!.traceparent).toBeUndefined();
  });

  test('a request id is generated when none is sent, and replaced when it is not an id', async () => {
    const plain = await stack.gql('{ viewer { subject } }');
    expect(plain.headers.get('x-request-id')).toMatch(UUID);
    const hostile = await stack.gql('{ viewer { subject } }', { headers: { 'x-request-id': 'x'.repeat(200) } });
    expect(hostile.headers.get('x-request-id')).toMatch(UUID);
    // Refused requests have an id and a log line too.
    const anonymous = await stack.gql('{ viewer { subject } }', { token: null, headers: { 'x-request-id': 'anon-1' } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('x-request-id')).toBe('anon-1');
    expect(stack.logs.find((l) => l.msg === 'http.request' && l.requestId === 'anon-1')).toMatchObject({
      status: 401,
      outcome: 'error',
      errors: { UNAUTHENTICATED: 1 },
      subject: null,
    });
  });

  test('one http.request line per GraphQL request, and the request’s other lines carry its id; never the token', async () => {
    const token = await stack.token('carol');
    const acme = stack.world.customers.find((c) => c.name === 'Acme Corp')!.id;
    const before = stack.logs.length;
    await stack.gql('{ customer(id: "x") { name } viewer { customer { usage { activeUsers } } } }', {
      token,
      headers: { 'x-request-id': 'carol-1' },
    });
    await stack.gql(`{ customer(id: "${acme}") { name } }`, { token, headers: { 'x-request-id': 'carol-2' } });
    const lines = stack.logs.slice(before);
    expect(lines.filter((l) => l.msg === 'http.request').map((l) => l.requestId)).toEqual(['carol-1', 'carol-2']);
    // carol's Globex lost its analytics license: the denial summary names the request.
    expect(lines.find((l) => l.msg === 'authz.denied')).toMatchObject({ requestId: 'carol-1' });
    expect(stack.rawLogs()).not.toContain(token);
    // A CORS preflight is the browser's, not a request of the API: no line, no count.
    const preflight = await fetch(stack.url, {
      method: 'OPTIONS',
      headers: { origin: 'https://portal.example.com', 'access-control-request-method': 'POST', 'x-request-id': 'preflight-1' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-expose-headers')).toBe('x-request-id');
    expect(stack.logs.some((l) => l.msg === 'http.request' && l.requestId === 'preflight-1')).toBe(false);
  });
});

describe('/metrics', () => {
  test('counts a denial under its rule and coordinate, requests by operation and outcome, errors by code, upstream calls and the token cache', async () => {
    const stack = await startStack({ env: { ...PRODUCTION, METRICS_TOKEN: 'scrape-token-0123456789' } });
    try {
      const acme = stack.world.customers.find((c) => c.name === 'Acme Corp')!.id;
      const bobToken = await stack.token('bob');
      for (let i = 0; i < 2; i++) {
        const denied = await stack.gql(`query BobBilling { customer(id: "${acme}") { name billingAccount { id } } }`, { token: bobToken });
        expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      }
      const scrape = (headers: Record<string, string> = {}) => fetch(new URL('/metrics', stack.url), { headers });
      expect((await scrape()).status).toBe(401);
      const response = await scrape({ authorization: 'Bearer scrape-token-0123456789' });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/plain');
      const text = await response.text();
      const rule = describeRule(policy.fields.Customer!.billingAccount!);
      const escaped = rule.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      expect(text).toMatch(new RegExp(`^bff_authz_denials_total\\{rule="${escaped}",coordinate="Customer.billingAccount"\\} 2$`, 'm'));
      expect(text).toMatch(/^bff_graphql_requests_total\{operation="BobBilling",outcome="partial"\} 2$/m);
      expect(text).toMatch(/^bff_graphql_errors_total\{code="FORBIDDEN"\} 2$/m);
      expect(text).toMatch(/^bff_graphql_request_duration_seconds_count\{operation="BobBilling",outcome="partial"\} 2$/m);
      expect(text).toMatch(/^bff_upstream_request_duration_seconds_count\{api="customers",outcome="ok"\} \d+$/m);
      expect(text).toMatch(/^bff_upstream_circuit_state\{api="billing"\} 0$/m);
      // The same token twice: verified once, then from the cache.
      expect(text).toMatch(/^bff_token_cache_misses_total 1$/m);
      expect(text).toMatch(/^bff_token_cache_hits_total 1$/m);
      expect(text).toMatch(/^bff_token_cache_revalidations_total 0$/m);
      expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds /m);
      expect(text).not.toContain(bobToken);
    } finally {
      await stack.stop();
    }
  });

  test('in production: not on the public port without a token; on a port of its own with METRICS_PORT', async () => {
    const open = await startStack({ env: PRODUCTION });
    try {
      expect((await fetch(new URL('/metrics', open.url))).status).toBe(404);
      expect(open.logs.some((l) => l.msg === 'metrics.not_served')).toBe(true);
    } finally {
      await open.stop();
    }
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const separate = await startStack({ env: { ...PRODUCTION, METRICS_PORT: String(port) } });
    try {
      expect(separate.app.metricsUrl).toBe(`http://127.0.0.1:${port}/metrics`);
      expect((await fetch(separate.app.metricsUrl!)).status).toBe(200);
      expect((await fetch(new URL('/metrics', separate.url))).status).toBe(404);
    } finally {
      await separate.stop();
    }
  });

  test('operation names from clients cannot grow the label set without bound', async () => {
    const stack = await startStack({ env: PRODUCTION });
    try {
      const labels = stack.app.metrics.operations;
      for (let i = 0; i < 250; i++) labels.of(`Op${i}`);
      expect(labels.of('Op1')).toBe('Op1');
      expect(labels.of('Op249')).toBe('other');
      expect(labels.of('not a name!')).toBe('invalid');
      expect(labels.of(null)).toBe('anonymous');
    } finally {
      await stack.stop();
    }
  });
});

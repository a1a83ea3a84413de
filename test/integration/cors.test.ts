/**
 * CORS as an SPA served from another origin meets it: the preflight Apollo Client, tracing
 * and error-monitoring libraries cause must pass, configured origins match however they were
 * written, and a refusal is explained in the server log.
 */
import { startStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
beforeAll(async () => {
  // Written as copied from an address bar: trailing slash, upper-case host, default port.
  stack = await startStack({ env: { CORS_ORIGINS: 'HTTPS://Portal.Example.com:443/, http://localhost:5173/' } });
});
afterAll(() => stack.stop());

const preflight = (origin: string, requestHeaders: string) =>
  fetch(stack.url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': requestHeaders },
  });

test('the preflight of Apollo Client with client awareness, W3C trace context, baggage and Sentry passes', async () => {
  const sent = [
    'authorization',
    'content-type',
    'apollographql-client-name',
    'apollographql-client-version',
    'traceparent',
    'tracestate',
    'baggage',
    'sentry-trace',
  ];
  const response = await preflight('https://portal.example.com', sent.join(','));
  expect(response.status).toBe(204);
  expect(response.headers.get('access-control-allow-origin')).toBe('https://portal.example.com');
  const allowed = (response.headers.get('access-control-allow-headers') ?? '').split(/\s*,\s*/);
  for (const header of sent) expect(allowed).toContain(header);
});

test('an origin configured with a trailing slash, upper case and a default port matches what browsers send', async () => {
  const body = JSON.stringify({ query: '{ viewer { subject } }' });
  for (const origin of ['https://portal.example.com', 'http://localhost:5173']) {
    const response = await fetch(stack.url, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json', authorization: `Bearer ${await stack.token('alice')}` },
      body,
    });
    expect([origin, response.status]).toEqual([origin, 200]);
    expect(response.headers.get('access-control-allow-origin')).toBe(origin);
  }
});

test('a refused origin is logged at debug level with the origin, so "Failed to fetch" can be explained', async () => {
  const response = await preflight('https://portal.example.com.evil.example', 'content-type');
  expect(response.status).toBe(403);
  expect(response.headers.get('access-control-allow-origin')).toBeNull();
  const line = stack.logs.find((entry) => entry.msg === 'http.cors_rejected');
  expect(line).toMatchObject({ level: 'debug', origin: 'https://portal.example.com.evil.example' });
  expect(line?.allowed).toEqual(['https://portal.example.com', 'http://localhost:5173']);
});

describe('CORS_ALLOWED_HEADERS replaces the default list', () => {
  let custom: TestStack;
  beforeAll(async () => {
    custom = await startStack({ env: { CORS_ALLOWED_HEADERS: 'Authorization, Content-Type, X-Request-Id' } });
  });
  afterAll(() => custom.stop());

  test('the preflight answers with exactly the configured headers, lower-cased', async () => {
    const response = await fetch(custom.url, {
      method: 'OPTIONS',
      headers: { origin: 'https://portal.example.com', 'access-control-request-method': 'POST' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-headers')).toBe('authorization, content-type, x-request-id');
  });
});

import { once } from 'node:events';
import { request } from 'node:http';
import { startDemoServices, type DemoServices } from '../../../src/demo/services.js';
import { customerBySlug } from '../../../src/demo/world.js';

let demo: DemoServices;
let acmeId: string;

beforeEach(async () => {
  demo = await startDemoServices();
  acmeId = customerBySlug(demo.world, 'acme').id;
});
afterEach(() => demo.close());

function post(url: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
}

const pagesBody = () => ({ requests: [{ customerId: acmeId, limit: 1 }] });

describe('startDemoServices', () => {
  it('exposes three services with base URLs without trailing slash', () => {
    for (const url of Object.values(demo.urls)) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect([demo.customers.name, demo.billing.name, demo.licenses.name]).toEqual(['customers', 'billing', 'licenses']);
  });

  it('applies latencyMs to every service', async () => {
    const slow = await startDemoServices({ world: demo.world, latencyMs: 80 });
    try {
      const started = performance.now();
      await post(`${slow.urls.licenses}/licenses/batch-get`, { ids: [] });
      expect(performance.now() - started).toBeGreaterThanOrEqual(80);
    } finally {
      await slow.close();
    }
  });
});

describe('stats', () => {
  it('counts per route pattern, ignores /_demo, and resets', async () => {
    await post(`${demo.urls.billing}/invoices/pages`, pagesBody());
    await post(`${demo.urls.billing}/invoices/pages`, pagesBody());
    await post(`${demo.urls.licenses}/licenses/lic_x/assignments`, { userId: 'u' });
    await fetch(`${demo.urls.billing}/nowhere`);
    expect(demo.billing.stats.byOperation).toEqual({ 'POST /invoices/pages': 2 });
    expect(demo.licenses.stats.byOperation).toEqual({ 'POST /licenses/{licenseId}/assignments': 1 });
    expect(demo.totalRequests()).toBe(4);

    const remote = await (await fetch(`${demo.urls.billing}/_demo/stats`)).json();
    expect(remote).toEqual({ total: 3, byOperation: { 'POST /invoices/pages': 2 } });
    expect((await post(`${demo.urls.billing}/_demo/stats/reset`, {})).status).toBe(204);
    expect(demo.billing.stats.total).toBe(0);
    demo.resetStats();
    expect(demo.totalRequests()).toBe(0);
  });
});

describe('faults', () => {
  it('answers an injected status once, then normally', async () => {
    demo.billing.faults.set({ kind: 'status', status: 503, times: 1 });
    const failed = await post(`${demo.urls.billing}/invoices/pages`, pagesBody());
    expect(failed.status).toBe(503);
    expect(await failed.json()).toEqual({ code: 'INJECTED', message: expect.any(String) });
    expect(demo.billing.faults.current).toBeNull();
    expect((await post(`${demo.urls.billing}/invoices/pages`, pagesBody())).status).toBe(200);
  });

  it('only hits requests whose "METHOD /path" contains match, and is settable over HTTP', async () => {
    const put = await fetch(`${demo.urls.billing}/_demo/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'malformed', match: 'POST /invoices/batch-get' }),
    });
    expect(put.status).toBe(204);
    expect((await post(`${demo.urls.billing}/invoices/pages`, pagesBody())).status).toBe(200);
    const malformed = await post(`${demo.urls.billing}/invoices/batch-get`, { ids: [] });
    expect(malformed.headers.get('content-type')).toContain('application/json');
    expect(await malformed.text()).toBe('{"items": [');
    await fetch(`${demo.urls.billing}/_demo/faults`, { method: 'PUT', body: 'null' });
    expect(demo.billing.faults.current).toBeNull();
    const bad = await fetch(`${demo.urls.billing}/_demo/faults`, { method: 'PUT', body: '{"kind":"explode"}' });
    expect(bad.status).toBe(400);
  });

  it('streams a huge body of exactly the requested size', async () => {
    demo.customers.faults.set({ kind: 'huge', bytes: 300_000, times: 1 });
    const res = await post(`${demo.urls.customers}/users/batch-get`, { ids: [] });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text.length).toBe(300_000);
    expect(text.startsWith('{"items":[')).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
  });

  it('redirects', async () => {
    demo.customers.faults.set({ kind: 'redirect', location: 'http://169.254.169.254/latest', times: 1 });
    const res = await post(`${demo.urls.customers}/users/batch-get`, { ids: [] }, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://169.254.169.254/latest');
  });

  it('hangs until close(), and close() does not hang', async () => {
    demo.licenses.faults.set({ kind: 'hang' });
    const pending = post(`${demo.urls.licenses}/licenses/batch-get`, { ids: [] }).then(
      () => 'answered',
      () => 'failed',
    );
    while (demo.licenses.stats.total === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const raced = await Promise.race([pending, new Promise((resolve) => setTimeout(() => resolve('hung'), 100))]);
    expect(raced).toBe('hung');
    await demo.close();
    expect(await pending).toBe('failed');
  });
});

describe('request handling', () => {
  it('answers 400 INVALID_JSON for a body that is not JSON', async () => {
    const res = await post(`${demo.urls.customers}/users/batch-get`, '{"ids": [');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: 'INVALID_JSON', message: expect.any(String) });
  });

  it('answers 400 for a missing body', async () => {
    const res = await fetch(`${demo.urls.customers}/users/batch-get`, { method: 'POST' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: 'BAD_REQUEST', message: expect.any(String) });
  });

  it('answers 404 JSON for unknown routes and wrong methods', async () => {
    for (const res of [await fetch(`${demo.urls.customers}/nope`), await fetch(`${demo.urls.customers}/users/batch-get`)]) {
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ code: 'NOT_FOUND', message: expect.any(String) });
    }
  });

  it('answers 413 beyond 1 MiB', async () => {
    const ids = Array.from({ length: 4000 }, () => 'x'.repeat(300));
    const res = await post(`${demo.urls.customers}/users/batch-get`, { ids });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string }).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('keeps connections alive', async () => {
    const url = new URL(`${demo.urls.customers}/users/by-subject`);
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } });
    req.end(JSON.stringify({ subjects: ['auth0|alice'] }));
    const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
    res.resume();
    expect(res.headers.connection).toBe('keep-alive');
    expect(res.headers['keep-alive']).toBe('timeout=65');
  });
});

import { startBillingService } from '../../../src/demo/billing-service.js';
import type { DemoService } from '../../../src/demo/http-service.js';
import { customerBySlug, seedWorld } from '../../../src/demo/world.js';
import type { BillingAccount, Invoice, InvoicePage, InvoicePageRequest } from '../../../src/upstream/types.js';

const world = seedWorld({ now: new Date('2026-03-15T10:00:00.000Z') });
const acme = customerBySlug(world, 'acme');
const globex = customerBySlug(world, 'globex');
let service: DemoService;

beforeAll(async () => {
  service = await startBillingService(world);
});
afterAll(() => service.close());

async function post<T>(path: string, body: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${service.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function pages(requests: InvoicePageRequest[]): Promise<InvoicePage[]> {
  const res = await post<{ results: InvoicePage[] }>('/invoices/pages', { requests });
  expect(res.status).toBe(200);
  return res.body.results;
}

describe('billing service', () => {
  it('returns accounts by customer', async () => {
    const res = await post<{ items: BillingAccount[] }>('/accounts/by-customer', { customerIds: [acme.id, 'cus_nope'] });
    expect(res.body.items).toEqual([expect.objectContaining({ customerId: acme.id, currency: 'EUR' })]);
  });

  it('batch-gets only existing invoices', async () => {
    const [first, second] = world.invoices;
    const res = await post<{ items: Invoice[] }>('/invoices/batch-get', { ids: ['inv_nope', first?.id, second?.id] });
    expect(res.body.items.map((i) => i.id).sort()).toEqual([first?.id, second?.id].sort());
  });

  it('pages newest first with a cursor, without overlap', async () => {
    const [page1] = await pages([{ customerId: acme.id, limit: 5 }]);
    expect(page1?.items).toHaveLength(5);
    expect(page1?.totalCount).toBe(14);
    expect(page1?.nextCursor).toEqual(expect.any(String));
    const [page2] = await pages([{ customerId: acme.id, limit: 5, after: page1?.nextCursor ?? '' }]);
    const [page3] = await pages([{ customerId: acme.id, limit: 5, after: page2?.nextCursor ?? '' }]);
    expect(page3?.items).toHaveLength(4);
    expect(page3?.nextCursor).toBeNull();

    const seen = [...(page1?.items ?? []), ...(page2?.items ?? []), ...(page3?.items ?? [])];
    const expected = world.invoices
      .filter((i) => i.customerId === acme.id)
      .sort((a, b) => b.issuedAt.localeCompare(a.issuedAt) || a.id.localeCompare(b.id));
    expect(seen.map((i) => i.id)).toEqual(expected.map((i) => i.id));
    expect(new Set(seen.map((i) => i.id)).size).toBe(14);
  });

  it('gives every item a cursor; after accepts a page cursor or any item cursor', async () => {
    const [page1] = await pages([{ customerId: acme.id, limit: 5 }]);
    expect(page1?.cursors).toHaveLength(5);
    expect(page1?.hasPrevious).toBe(false);
    // A page's nextCursor is its last item's cursor: either continues after that item.
    expect(page1?.nextCursor).toBe(page1?.cursors[4]);
    const [afterThird] = await pages([{ customerId: acme.id, limit: 3, after: page1?.cursors[2] ?? '' }]);
    expect(afterThird?.items.map((i) => i.id)).toEqual(
      page1?.items
        .slice(3, 5)
        .map((i) => i.id)
        .concat(afterThird!.items[2]!.id),
    );
    expect(afterThird?.hasPrevious).toBe(true);
    const [afterPage] = await pages([{ customerId: acme.id, limit: 2, after: page1?.nextCursor ?? '' }]);
    expect(afterPage?.items[0]?.id).toBe(afterThird?.items[2]?.id);
    // The cursor of the very last item gives an empty page, not an error.
    const [last] = await pages([{ customerId: acme.id, limit: 20 }]);
    const [beyond] = await pages([{ customerId: acme.id, limit: 5, after: last?.cursors.at(-1) ?? '' }]);
    expect([beyond?.items, beyond?.cursors, beyond?.nextCursor, beyond?.hasPrevious]).toEqual([[], [], null, true]);
  });

  it('answers several page requests in request order', async () => {
    const results = await pages([
      { customerId: globex.id, limit: 3 },
      { customerId: acme.id, limit: 2 },
      { customerId: 'cus_nope', limit: 2 },
    ]);
    expect(results.map((r) => [r.customerId, r.items.length, r.totalCount])).toEqual([
      [globex.id, 3, 8],
      [acme.id, 2, 14],
      ['cus_nope', 0, 0],
    ]);
    expect(results[2]?.nextCursor).toBeNull();
  });

  it('rejects a bad cursor and a bad limit with 400', async () => {
    const badCursor = await post<{ code: string }>('/invoices/pages', {
      requests: [{ customerId: acme.id, limit: 5, after: 'not-a-cursor' }],
    });
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.code).toBe('INVALID_CURSOR');
    for (const limit of [0, 501, 2.5, '5']) {
      const res = await post<{ code: string }>('/invoices/pages', { requests: [{ customerId: acme.id, limit }] });
      expect(res.status).toBe(400);
    }
  });
});

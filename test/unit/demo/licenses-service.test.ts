import type { DemoService } from '../../../src/demo/http-service.js';
import { startLicensesService } from '../../../src/demo/licenses-service.js';
import { DEMO_PRODUCTS, customerBySlug, personaUser, seedWorld } from '../../../src/demo/world.js';
import type { Assignment, License, Usage } from '../../../src/upstream/types.js';

const world = seedWorld({ now: new Date('2026-03-15T10:00:00.000Z') });
const acme = customerBySlug(world, 'acme');
const initech = customerBySlug(world, 'initech');
const acmeAnalytics = world.licenses.find((l) => l.customerId === acme.id && l.productId === DEMO_PRODUCTS.analytics.id) as License;
let service: DemoService;

beforeAll(async () => {
  service = await startLicensesService(world);
});
afterAll(() => service.close());

async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

async function acmeLicenses(): Promise<License[]> {
  return (await call<{ items: License[] }>('POST', '/licenses/by-customer', { customerIds: [acme.id] })).body.items;
}

describe('licenses service reads', () => {
  it('batch-gets only existing licenses', async () => {
    const res = await call<{ items: License[] }>('POST', '/licenses/batch-get', { ids: [acmeAnalytics.id, 'lic_nope'] });
    expect(res.body.items).toEqual([acmeAnalytics]);
  });

  it('lists licenses, assignments and usage by owner', async () => {
    expect((await acmeLicenses()).map((l) => l.productName)).toEqual(['Analytics Suite', 'Core Platform']);
    const assignments = await call<{ items: Assignment[] }>('POST', '/assignments/by-license', {
      licenseIds: [acmeAnalytics.id],
    });
    expect(assignments.body.items).toHaveLength(3);
    const usage = await call<{ items: Usage[] }>('POST', '/usage/by-customer', { customerIds: [initech.id] });
    expect(usage.body.items).toEqual([expect.objectContaining({ customerId: initech.id, period: '2026-03' })]);
  });
});

describe('seat assignment', () => {
  const path = `/licenses/${acmeAnalytics.id}/assignments`;
  const grace = () => userIdByEmail('grace@acme.example');
  const heidi = () => userIdByEmail('heidi@acme.example');

  it('assigns a free seat, refuses duplicates and a full license, revokes', async () => {
    const assigned = await call<Assignment>('POST', path, { userId: grace() });
    expect(assigned.status).toBe(201);
    expect(assigned.body).toMatchObject({ licenseId: acmeAnalytics.id, userId: grace() });

    const duplicate = await call<{ code: string }>('POST', path, { userId: grace() });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.code).toBe('ALREADY_ASSIGNED');

    const patched = await call<License>('PATCH', `/licenses/${acmeAnalytics.id}`, { seats: 4 });
    expect(patched.body.seats).toBe(4);
    const full = await call<{ code: string }>('POST', path, { userId: heidi() });
    expect(full.status).toBe(409);
    expect(full.body.code).toBe('NO_FREE_SEAT');

    const revoked = await call('DELETE', `${path}/${grace()}`);
    expect(revoked.status).toBe(204);
    const again = await call<{ code: string }>('DELETE', `${path}/${grace()}`);
    expect(again.status).toBe(404);
    expect(again.body.code).toBe('ASSIGNMENT_NOT_FOUND');
    expect(world.assignments.some((a) => a.licenseId === acmeAnalytics.id && a.userId === grace())).toBe(false);
  });

  it('never oversells under concurrent assignment', async () => {
    await call('PATCH', `/licenses/${acmeAnalytics.id}`, { seats: 5 });
    const candidates = world.users.filter((u) => u.customerId === acme.id).map((u) => u.id);
    const results = await Promise.all(candidates.map((userId) => call('POST', path, { userId })));
    const holders = (
      await call<{ items: Assignment[] }>('POST', '/assignments/by-license', {
        licenseIds: [acmeAnalytics.id],
      })
    ).body.items;
    expect(holders).toHaveLength(5);
    expect(results.filter((r) => r.status === 201)).toHaveLength(2);
  });

  it('answers 404 for unknown licenses', async () => {
    const res = await call<{ code: string }>('POST', '/licenses/lic_nope/assignments', { userId: 'usr_x' });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('LICENSE_NOT_FOUND');
    const del = await call<{ code: string }>('DELETE', '/licenses/lic_nope/assignments/usr_x');
    expect(del.body.code).toBe('LICENSE_NOT_FOUND');
    const patch = await call<{ code: string }>('PATCH', '/licenses/lic_nope', { seats: 1 });
    expect(patch.status).toBe(404);
  });
});

describe('license admin', () => {
  it('reflects PATCH validUntil in by-customer', async () => {
    const validUntil = '2026-03-01T00:00:00.000Z';
    const res = await call<License>('PATCH', `/licenses/${acmeAnalytics.id}`, { validUntil, status: 'suspended' });
    expect(res.status).toBe(200);
    const listed = (await acmeLicenses()).find((l) => l.id === acmeAnalytics.id);
    expect(listed).toMatchObject({ validUntil, status: 'suspended' });
  });

  it('rejects invalid PATCH bodies without applying any part', async () => {
    const before = { ...acmeAnalytics };
    for (const body of [{ seats: -1 }, { validUntil: 'soon' }, { status: 'expired' }, { validTo: 'x' }, { seats: 3, status: 'nope' }]) {
      const res = await call<{ code: string }>('PATCH', `/licenses/${acmeAnalytics.id}`, body);
      expect(res.status).toBe(400);
    }
    expect(acmeAnalytics).toEqual(before);
  });

  it('creates a license that shows up in by-customer and batch-get', async () => {
    const input = {
      customerId: initech.id,
      productId: DEMO_PRODUCTS.analytics.id,
      productName: DEMO_PRODUCTS.analytics.name,
      features: [...DEMO_PRODUCTS.analytics.features],
      seats: 2,
      validFrom: '2026-01-01T00:00:00.000Z',
      validUntil: '2027-01-01T00:00:00.000Z',
    };
    const created = await call<License>('POST', '/licenses', input);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...input, status: 'active', id: expect.stringMatching(/^lic_[0-9a-f]{12}$/) });
    const listed = await call<{ items: License[] }>('POST', '/licenses/by-customer', { customerIds: [initech.id] });
    expect(listed.body.items.map((l) => l.productName).sort()).toEqual(['Analytics Suite', 'Core Platform']);
    const second = await call<License>('POST', '/licenses', input);
    expect(second.body.id).not.toBe(created.body.id);
    const assigned = await call('POST', `/licenses/${created.body.id}/assignments`, {
      userId: personaUser(world, 'mallory').id,
    });
    expect(assigned.status).toBe(201);
  });

  it('rejects an incomplete license', async () => {
    const res = await call<{ code: string; message: string }>('POST', '/licenses', { customerId: initech.id });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'BAD_REQUEST', message: expect.any(String) });
  });
});

function userIdByEmail(email: string): string {
  const user = world.users.find((u) => u.email === email);
  if (!user) throw new Error(`no user ${email}`);
  return user.id;
}

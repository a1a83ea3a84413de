import { startCustomersService } from '../../../src/demo/customers-service.js';
import type { DemoService } from '../../../src/demo/http-service.js';
import { customerBySlug, organizationIdOf, personaUser, seedWorld } from '../../../src/demo/world.js';
import type { Customer, User } from '../../../src/upstream/types.js';

const world = seedWorld({ now: new Date('2026-03-15T10:00:00.000Z') });
let service: DemoService;

beforeAll(async () => {
  service = await startCustomersService(world);
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

describe('customers service', () => {
  it('batch-gets only the customers that exist', async () => {
    const acme = customerBySlug(world, 'acme');
    const res = await post<{ items: Customer[] }>('/customers/batch-get', { ids: [acme.id, 'cus_nope'] });
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([acme]);
  });

  it('batch-gets users', async () => {
    const alice = personaUser(world, 'alice');
    const dave = personaUser(world, 'dave');
    const res = await post<{ items: User[] }>('/users/batch-get', { ids: [dave.id, 'usr_nope', alice.id] });
    expect(res.body.items.map((u) => u.id).sort()).toEqual([alice.id, dave.id].sort());
  });

  it('finds users by subject, skipping unknown subjects', async () => {
    const res = await post<{ items: User[] }>('/users/by-subject', { subjects: ['auth0|bob', 'auth0|frank', 'auth0|dave'] });
    expect(res.body.items.map((u) => u.subject).sort()).toEqual(['auth0|bob', 'auth0|dave']);
  });

  it('finds every record of a person in several customers by their one subject', async () => {
    const res = await post<{ items: User[] }>('/users/by-subject', { subjects: ['auth0|erin'] });
    expect(res.body.items.map((u) => [u.customerId, u.role]).sort()).toEqual(
      [
        [customerBySlug(world, 'acme').id, 'member'],
        [customerBySlug(world, 'globex').id, 'admin'],
      ].sort(),
    );
  });

  it('finds customers by organization id, skipping unknown ones', async () => {
    const globex = customerBySlug(world, 'globex');
    const res = await post<{ items: Customer[] }>('/customers/by-organization', {
      organizationIds: ['org_unknown', organizationIdOf('globex')],
    });
    expect(res.body.items).toEqual([globex]);
    expect((await post('/customers/by-organization', { organizationIds: 'org_x' })).status).toBe(400);
  });

  it('lists all users of the given customers', async () => {
    const globex = customerBySlug(world, 'globex');
    const initech = customerBySlug(world, 'initech');
    const res = await post<{ items: User[] }>('/users/by-customer', { customerIds: [globex.id, initech.id] });
    expect(res.body.items).toHaveLength(6);
    expect(new Set(res.body.items.map((u) => u.customerId))).toEqual(new Set([globex.id, initech.id]));
  });

  it('rejects malformed bodies with 400 {code,message}', async () => {
    for (const body of [{ ids: 'x' }, { ids: [1, 2] }, {}, [], { ids: Array.from({ length: 5001 }, (_, i) => `c${i}`) }]) {
      const res = await post<{ code: string; message: string }>('/customers/batch-get', body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: 'BAD_REQUEST', message: expect.any(String) });
    }
  });
});

import { groupBy, type DemoWorld } from '../src/demo/world.js';
import type { Upstreams } from '../src/upstream/index.js';
import type { Invoice } from '../src/upstream/types.js';

/**
 * The upstream clients answered from memory, for the in-process benchmark: execution then
 * costs only GraphQL, resolvers, loaders and authorization, with no HTTP and no JSON parsing.
 * Same contract as the HTTP clients (records in any order, newest-first invoice pages); the
 * records are shared, not copied, which is fine for read-only execution. Writes and cursors
 * are not needed by the benchmark and throw.
 */
export function createMemoryUpstreams(world: DemoWorld): Upstreams & { calls: number } {
  const customersById = new Map(world.customers.map((c) => [c.id, c]));
  const usersById = new Map(world.users.map((u) => [u.id, u]));
  const customersByOrganization = new Map(world.customers.map((c) => [c.organizationId, c]));
  const usersBySubject = groupBy(world.users, (u) => u.subject);
  const usersByCustomer = groupBy(world.users, (u) => u.customerId ?? '');
  const accountsByCustomer = groupBy(world.accounts, (a) => a.customerId);
  const invoicesById = new Map(world.invoices.map((i) => [i.id, i]));
  const invoicesByCustomer = groupBy(world.invoices, (i) => i.customerId);
  for (const list of invoicesByCustomer.values()) list.sort(newestFirst);
  const licensesById = new Map(world.licenses.map((l) => [l.id, l]));
  const licensesByCustomer = groupBy(world.licenses, (l) => l.customerId);
  const assignmentsByLicense = groupBy(world.assignments, (a) => a.licenseId);
  const usageByCustomer = new Map(world.usage.map((u) => [u.customerId, u]));

  const pick = <K, T>(keys: readonly K[], index: Map<K, T>): T[] => keys.flatMap((k) => index.get(k) ?? []);
  const many = <K, T>(keys: readonly K[], index: Map<K, T[]>): T[] => keys.flatMap((k) => index.get(k) ?? []);
  const counted = <T>(read: () => T): T => {
    upstreams.calls++;
    return read();
  };
  const upstreams = {
    calls: 0,
    customers: {
      customersByIds: async (ids: string[]) => counted(() => pick(ids, customersById)),
      usersByIds: async (ids: string[]) => counted(() => pick(ids, usersById)),
      customersByOrganizations: async (ids: string[]) => counted(() => pick(ids, customersByOrganization)),
      usersBySubjects: async (subjects: string[]) => counted(() => many(subjects, usersBySubject)),
      usersByCustomers: async (ids: string[]) => counted(() => many(ids, usersByCustomer)),
    },
    billing: {
      accountsByCustomers: async (ids: string[]) => counted(() => many(ids, accountsByCustomer)),
      invoicesByIds: async (ids: string[]) => counted(() => pick(ids, invoicesById)),
      invoicePages: async (requests: { customerId: string; limit: number; after?: string }[]) => {
        upstreams.calls++;
        return requests.map((request) => {
          if (request.after !== undefined) throw new Error('memory upstreams: cursors are not supported');
          const all = invoicesByCustomer.get(request.customerId) ?? [];
          const items = all.slice(0, request.limit);
          return {
            customerId: request.customerId,
            items,
            cursors: items.map((invoice) => invoice.id),
            nextCursor: items.length < all.length ? 'more' : null,
            hasPrevious: false,
            totalCount: all.length,
          };
        });
      },
    },
    licenses: {
      licensesByIds: async (ids: string[]) => counted(() => pick(ids, licensesById)),
      licensesByCustomers: async (ids: string[]) => counted(() => many(ids, licensesByCustomer)),
      assignmentsByLicenses: async (ids: string[]) => counted(() => many(ids, assignmentsByLicense)),
      usageByCustomers: async (ids: string[]) => counted(() => pick(ids, usageByCustomer)),
      assignSeat: async () => {
        throw new Error('memory upstreams are read-only');
      },
      revokeSeat: async () => {
        throw new Error('memory upstreams are read-only');
      },
    },
    close: async () => {},
  };
  return upstreams;
}

function newestFirst(a: Invoice, b: Invoice): number {
  if (a.issuedAt !== b.issuedAt) return a.issuedAt < b.issuedAt ? 1 : -1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The demo "customers" upstream (openapi/customers.yaml): customers and their users. */
import type { Customer, User } from '../upstream/types.js';
import { startJsonService, stringListField, type DemoService, type ListenOptions } from './http-service.js';
import { groupBy, type DemoWorld } from './world.js';

/** Starts the customers service over the world's customers and users (read-only). */
export function startCustomersService(world: DemoWorld, options: ListenOptions = {}): Promise<DemoService> {
  // Indexed once: the service never writes customers or users.
  const customersById = new Map(world.customers.map((customer) => [customer.id, customer]));
  const customersByOrganization = groupBy(world.customers, (customer) => customer.organizationId);
  const usersById = new Map(world.users.map((user) => [user.id, user]));
  const usersBySubject = groupBy(world.users, (user) => user.subject);
  const usersByCustomer = groupBy(world.users, (user) => user.customerId);

  return startJsonService({
    ...options,
    name: 'customers',
    routes: [
      {
        method: 'POST',
        path: '/customers/batch-get',
        handler: ({ body }) => ({ status: 200, body: { items: pick(stringListField(body, 'ids'), customersById) } }),
      },
      {
        method: 'POST',
        path: '/customers/by-organization',
        handler: ({ body }) => ({
          status: 200,
          body: { items: stringListField(body, 'organizationIds').flatMap((id) => customersByOrganization.get(id) ?? []) },
        }),
      },
      {
        method: 'POST',
        path: '/users/batch-get',
        handler: ({ body }) => ({ status: 200, body: { items: pick(stringListField(body, 'ids'), usersById) } }),
      },
      {
        method: 'POST',
        path: '/users/by-subject',
        handler: ({ body }) => ({
          status: 200,
          body: { items: stringListField(body, 'subjects').flatMap((subject) => usersBySubject.get(subject) ?? []) },
        }),
      },
      {
        method: 'POST',
        path: '/users/by-customer',
        handler: ({ body }) => ({
          status: 200,
          body: { items: stringListField(body, 'customerIds').flatMap((id) => usersByCustomer.get(id) ?? []) },
        }),
      },
    ],
  });
}

function pick<T extends Customer | User>(ids: readonly string[], index: ReadonlyMap<string, T>): T[] {
  return ids.flatMap((id) => index.get(id) ?? []);
}

import type { Customer, CustomersPaths, User } from './types.js';
import { readerFor, type UpstreamHttp } from './http.js';

/** Typed client of the customer API (openapi/customers.yaml). */
export interface CustomersClient {
  customersByIds(ids: string[], signal?: AbortSignal): Promise<Customer[]>;
  customersByOrganizations(organizationIds: string[], signal?: AbortSignal): Promise<Customer[]>;
  usersByIds(ids: string[], signal?: AbortSignal): Promise<User[]>;
  usersBySubjects(subjects: string[], signal?: AbortSignal): Promise<User[]>;
  usersByCustomers(customerIds: string[], signal?: AbortSignal): Promise<User[]>;
}

/** Binds the customer API's batch reads to an HTTP connection. */
export function createCustomersClient(http: UpstreamHttp): CustomersClient {
  const read = readerFor<CustomersPaths>(http);
  return {
    customersByIds: async (ids, signal) => (await read('/customers/batch-get', { ids }, signal)).items,
    customersByOrganizations: async (organizationIds, signal) =>
      (await read('/customers/by-organization', { organizationIds }, signal)).items,
    usersByIds: async (ids, signal) => (await read('/users/batch-get', { ids }, signal)).items,
    usersBySubjects: async (subjects, signal) => (await read('/users/by-subject', { subjects }, signal)).items,
    usersByCustomers: async (customerIds, signal) => (await read('/users/by-customer', { customerIds }, signal)).items,
  };
}

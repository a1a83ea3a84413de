import type { Customer, CustomersPaths, User } from './types.js';
import { readerFor, type UpstreamHttp } from './http.js';

/** Typed client of the customer API (openapi/customers.yaml). */
export interface CustomersClient {
  customersByIds(ids: string[]): Promise<Customer[]>;
  usersByIds(ids: string[]): Promise<User[]>;
  usersBySubjects(subjects: string[]): Promise<User[]>;
  usersByCustomers(customerIds: string[]): Promise<User[]>;
}

/** Binds the customer API's batch reads to an HTTP connection. */
export function createCustomersClient(http: UpstreamHttp): CustomersClient {
  const read = readerFor<CustomersPaths>(http);
  return {
    customersByIds: async (ids) => (await read('/customers/batch-get', { ids })).items,
    usersByIds: async (ids) => (await read('/users/batch-get', { ids })).items,
    usersBySubjects: async (subjects) => (await read('/users/by-subject', { subjects })).items,
    usersByCustomers: async (customerIds) => (await read('/users/by-customer', { customerIds })).items,
  };
}

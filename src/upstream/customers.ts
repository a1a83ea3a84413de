import type { Customer, CustomersPaths, User } from './types.js';
import { type CallContext, readerFor, type UpstreamHttp } from './http.js';

/** Typed client of the customer API (openapi/customers.yaml). */
export interface CustomersClient {
  customersByIds(ids: string[], call?: CallContext): Promise<Customer[]>;
  customersByOrganizations(organizationIds: string[], call?: CallContext): Promise<Customer[]>;
  usersByIds(ids: string[], call?: CallContext): Promise<User[]>;
  usersBySubjects(subjects: string[], call?: CallContext): Promise<User[]>;
  usersByCustomers(customerIds: string[], call?: CallContext): Promise<User[]>;
}

/** Binds the customer API's batch reads to an HTTP connection. */
export function createCustomersClient(http: UpstreamHttp): CustomersClient {
  const read = readerFor<CustomersPaths>(http);
  return {
    customersByIds: async (ids, call) => (await read('/customers/batch-get', { ids }, call)).items,
    customersByOrganizations: async (organizationIds, call) => (await read('/customers/by-organization', { organizationIds }, call)).items,
    usersByIds: async (ids, call) => (await read('/users/batch-get', { ids }, call)).items,
    usersBySubjects: async (subjects, call) => (await read('/users/by-subject', { subjects }, call)).items,
    usersByCustomers: async (customerIds, call) => (await read('/users/by-customer', { customerIds }, call)).items,
  };
}

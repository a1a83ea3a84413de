import { AlreadyAssignedError, NoFreeSeatError, NotAssignedError, NotFoundError, UpstreamUnavailableError } from '../errors.js';
import type { Assignment, License, LicensesPaths, Usage } from './types.js';
import { readerFor, UpstreamStatusError, type UpstreamHttp } from './http.js';

/** Typed client of the license API (openapi/licenses.yaml). */
export interface LicensesClient {
  licensesByIds(ids: string[], signal?: AbortSignal): Promise<License[]>;
  licensesByCustomers(customerIds: string[], signal?: AbortSignal): Promise<License[]>;
  assignmentsByLicenses(licenseIds: string[], signal?: AbortSignal): Promise<Assignment[]>;
  usageByCustomers(customerIds: string[], signal?: AbortSignal): Promise<Usage[]>;
  /** Never retried: a write is not idempotent. Upstream conflicts become typed errors. */
  assignSeat(licenseId: string, userId: string): Promise<Assignment>;
  revokeSeat(licenseId: string, userId: string): Promise<void>;
}

/** Binds the license API to an HTTP connection. */
export function createLicensesClient(http: UpstreamHttp): LicensesClient {
  const read = readerFor<LicensesPaths>(http);
  return {
    licensesByIds: async (ids, signal) => (await read('/licenses/batch-get', { ids }, signal)).items,
    licensesByCustomers: async (customerIds, signal) => (await read('/licenses/by-customer', { customerIds }, signal)).items,
    assignmentsByLicenses: async (licenseIds, signal) => (await read('/assignments/by-license', { licenseIds }, signal)).items,
    usageByCustomers: async (customerIds, signal) => (await read('/usage/by-customer', { customerIds }, signal)).items,
    assignSeat: (licenseId, userId) =>
      write(http, () => http.request<Assignment>('POST', `/licenses/${encodeURIComponent(licenseId)}/assignments`, { userId })),
    revokeSeat: (licenseId, userId) =>
      write(http, () =>
        http.request<void>('DELETE', `/licenses/${encodeURIComponent(licenseId)}/assignments/${encodeURIComponent(userId)}`),
      ),
  };
}

// The upstream re-checks what the rules checked; a race (another admin took the last seat)
// surfaces here and is reported with the same codes the rules use.
async function write<T>(http: UpstreamHttp, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof UpstreamStatusError)) throw error;
    switch (error.upstreamCode) {
      case 'NO_FREE_SEAT':
        throw new NoFreeSeatError();
      case 'ALREADY_ASSIGNED':
        throw new AlreadyAssignedError();
      case 'ASSIGNMENT_NOT_FOUND':
        throw new NotAssignedError();
      case 'LICENSE_NOT_FOUND':
        throw new NotFoundError('License');
      default:
        throw new UpstreamUnavailableError(http.service, { originalError: error });
    }
  }
}

import { AlreadyAssignedError, NoFreeSeatError, NotAssignedError, NotFoundError, UpstreamUnavailableError } from '../errors.js';
import type { Assignment, License, LicensesPaths, Usage } from './types.js';
import { type CallContext, readerFor, UpstreamStatusError, type UpstreamHttp } from './http.js';

/** Typed client of the license API (openapi/licenses.yaml). */
export interface LicensesClient {
  licensesByIds(ids: string[], call?: CallContext): Promise<License[]>;
  licensesByCustomers(customerIds: string[], call?: CallContext): Promise<License[]>;
  assignmentsByLicenses(licenseIds: string[], call?: CallContext): Promise<Assignment[]>;
  usageByCustomers(customerIds: string[], call?: CallContext): Promise<Usage[]>;
  /**
   * Never retried: a write is not idempotent. Upstream conflicts become typed errors. `call`
   * carries the request id and trace; its signal is ignored, so a write once sent is never
   * abandoned half way by the request's deadline.
   */
  assignSeat(licenseId: string, userId: string, call?: CallContext): Promise<Assignment>;
  revokeSeat(licenseId: string, userId: string, call?: CallContext): Promise<void>;
}

/** Binds the license API to an HTTP connection. */
export function createLicensesClient(http: UpstreamHttp): LicensesClient {
  const read = readerFor<LicensesPaths>(http);
  return {
    licensesByIds: async (ids, call) => (await read('/licenses/batch-get', { ids }, call)).items,
    licensesByCustomers: async (customerIds, call) => (await read('/licenses/by-customer', { customerIds }, call)).items,
    assignmentsByLicenses: async (licenseIds, call) => (await read('/assignments/by-license', { licenseIds }, call)).items,
    usageByCustomers: async (customerIds, call) => (await read('/usage/by-customer', { customerIds }, call)).items,
    assignSeat: (licenseId, userId, call) =>
      write(http, () =>
        http.request<Assignment>('POST', `/licenses/${encodeURIComponent(licenseId)}/assignments`, { userId }, withoutSignal(call)),
      ),
    revokeSeat: (licenseId, userId, call) =>
      write(http, () =>
        http.request<void>(
          'DELETE',
          `/licenses/${encodeURIComponent(licenseId)}/assignments/${encodeURIComponent(userId)}`,
          undefined,
          withoutSignal(call),
        ),
      ),
  };
}

function withoutSignal(call: CallContext | undefined): CallContext {
  return { ...(call?.headers ? { headers: call.headers } : {}), ...(call?.trace === undefined ? {} : { trace: call.trace }) };
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

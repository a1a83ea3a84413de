/** The demo "licenses" upstream (openapi/licenses.yaml): licenses, seat assignments, usage. */
import type { Assignment, License, LicenseStatus } from '../upstream/types.js';
import {
  HttpError,
  badRequest,
  objectBody,
  startJsonService,
  stringListField,
  type DemoService,
  type ListenOptions,
} from './http-service.js';
import { demoId } from './ids.js';
import { groupBy, type DemoWorld } from './world.js';

const LICENSE_STATUSES: readonly LicenseStatus[] = ['active', 'suspended'];
const PATCHABLE = new Set(['validUntil', 'seats', 'status']);

/**
 * Starts the licenses service. Writes mutate the shared world arrays (so tests can inspect
 * them) and this service's indexes together; edit the world only through the service once
 * it runs.
 */
export function startLicensesService(world: DemoWorld, options: ListenOptions = {}): Promise<DemoService> {
  const licensesById = new Map(world.licenses.map((license) => [license.id, license]));
  const licensesByCustomer = groupBy(world.licenses, (license) => license.customerId);
  const usageByCustomer = groupBy(world.usage, (usage) => usage.customerId);
  // userId -> assignment per license: the seat count and the duplicate check are O(1).
  const assignmentsByLicense = new Map<string, Map<string, Assignment>>();
  for (const assignment of world.assignments) seatsOf(assignment.licenseId).set(assignment.userId, assignment);
  let created = 0;

  function seatsOf(licenseId: string): Map<string, Assignment> {
    let seats = assignmentsByLicense.get(licenseId);
    if (!seats) {
      seats = new Map();
      assignmentsByLicense.set(licenseId, seats);
    }
    return seats;
  }

  function licenseOr404(licenseId: string): License {
    const license = licensesById.get(licenseId);
    if (!license) throw new HttpError(404, 'LICENSE_NOT_FOUND', `license ${licenseId} does not exist`);
    return license;
  }

  return startJsonService({
    ...options,
    name: 'licenses',
    routes: [
      {
        method: 'POST',
        path: '/licenses/batch-get',
        handler: ({ body }) => ({
          status: 200,
          body: { items: stringListField(body, 'ids').flatMap((id) => licensesById.get(id) ?? []) },
        }),
      },
      {
        method: 'POST',
        path: '/licenses/by-customer',
        handler: ({ body }) => ({
          status: 200,
          body: { items: stringListField(body, 'customerIds').flatMap((id) => licensesByCustomer.get(id) ?? []) },
        }),
      },
      {
        method: 'POST',
        path: '/assignments/by-license',
        handler: ({ body }) => ({
          status: 200,
          body: {
            items: stringListField(body, 'licenseIds').flatMap((id) => [...(assignmentsByLicense.get(id)?.values() ?? [])]),
          },
        }),
      },
      {
        method: 'POST',
        path: '/licenses/{licenseId}/assignments',
        handler: ({ params, body }) => {
          const userId = objectBody(body).userId;
          if (typeof userId !== 'string' || userId === '') throw badRequest('userId must be a non-empty string');
          const license = licenseOr404(params.licenseId ?? '');
          const seats = seatsOf(license.id);
          // Check and insert run in one synchronous turn, so concurrent requests cannot oversell.
          if (seats.has(userId)) {
            throw new HttpError(409, 'ALREADY_ASSIGNED', `user ${userId} already holds a seat of ${license.id}`);
          }
          if (seats.size >= license.seats) {
            throw new HttpError(409, 'NO_FREE_SEAT', `all ${license.seats} seats of ${license.id} are assigned`);
          }
          const assignment: Assignment = { licenseId: license.id, userId, assignedAt: new Date().toISOString() };
          seats.set(userId, assignment);
          world.assignments.push(assignment);
          return { status: 201, body: assignment };
        },
      },
      {
        method: 'DELETE',
        path: '/licenses/{licenseId}/assignments/{userId}',
        handler: ({ params }) => {
          const license = licenseOr404(params.licenseId ?? '');
          const userId = params.userId ?? '';
          const seats = seatsOf(license.id);
          const assignment = seats.get(userId);
          if (!assignment) {
            throw new HttpError(404, 'ASSIGNMENT_NOT_FOUND', `user ${userId} holds no seat of ${license.id}`);
          }
          seats.delete(userId);
          const index = world.assignments.indexOf(assignment);
          if (index >= 0) world.assignments.splice(index, 1);
          return { status: 204 };
        },
      },
      {
        method: 'POST',
        path: '/licenses',
        handler: ({ body }) => {
          const input = objectBody(body);
          let id: string;
          do id = demoId('license', `created:${++created}`);
          while (licensesById.has(id));
          const license: License = {
            id,
            customerId: requiredString(input, 'customerId'),
            productId: requiredString(input, 'productId'),
            productName: requiredString(input, 'productName'),
            features: stringListField(input, 'features'),
            seats: seatCount(input.seats),
            validFrom: dateTime(input.validFrom, 'validFrom'),
            validUntil: dateTime(input.validUntil, 'validUntil'),
            status: 'active',
          };
          licensesById.set(license.id, license);
          const customerLicenses = licensesByCustomer.get(license.customerId);
          if (customerLicenses) customerLicenses.push(license);
          else licensesByCustomer.set(license.customerId, [license]);
          world.licenses.push(license);
          return { status: 201, body: license };
        },
      },
      {
        method: 'PATCH',
        path: '/licenses/{licenseId}',
        handler: ({ params, body }) => {
          const input = objectBody(body);
          // A typo'd field would otherwise be a silent no-op that makes a test pass for the wrong reason.
          const unknown = Object.keys(input).filter((key) => !PATCHABLE.has(key));
          if (unknown.length > 0) throw badRequest(`unknown fields: ${unknown.join(', ')}`);
          const license = licenseOr404(params.licenseId ?? '');
          // Validate everything before changing anything.
          const validUntil = input.validUntil === undefined ? undefined : dateTime(input.validUntil, 'validUntil');
          const seats = input.seats === undefined ? undefined : seatCount(input.seats);
          const status = input.status === undefined ? undefined : licenseStatus(input.status);
          if (validUntil !== undefined) license.validUntil = validUntil;
          if (seats !== undefined) license.seats = seats;
          if (status !== undefined) license.status = status;
          return { status: 200, body: license };
        },
      },
      {
        method: 'POST',
        path: '/usage/by-customer',
        handler: ({ body }) => ({
          status: 200,
          body: { items: stringListField(body, 'customerIds').flatMap((id) => usageByCustomer.get(id) ?? []) },
        }),
      },
    ],
  });
}

function requiredString(input: Record<string, unknown>, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '') throw badRequest(`${field} must be a non-empty string`);
  return value;
}

function seatCount(value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0) throw badRequest('seats must be an integer >= 0');
  return value as number;
}

function licenseStatus(value: unknown): LicenseStatus {
  const status = LICENSE_STATUSES.find((candidate) => candidate === value);
  if (!status) throw badRequest(`status must be one of ${LICENSE_STATUSES.join(', ')}`);
  return status;
}

/** Normalised to toISOString() so every stored timestamp has one format. */
function dateTime(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(Date.parse(value))) {
    throw badRequest(`${field} must be an ISO 8601 date-time`);
  }
  return new Date(value).toISOString();
}

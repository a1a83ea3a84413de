import { allow } from 'graphql-shield';
import type { Policy } from './apply.js';
import {
  readsEntitlements,
  canReadBilling,
  canReadCustomers,
  canReadLicenses,
  canSeeUser,
  hasEntitlement,
  isAuthenticated,
  isCustomerAdmin,
  isSelf,
  isSupportStaff,
  licenseHasFreeSeat,
  ownsCustomerOf,
  seatChange,
  userHoldsSeat,
} from './rules.js';
import { chain, or } from 'graphql-shield';
import type { BillingAccount, Customer, Invoice, License, Usage } from '../upstream/types.js';

/**
 * THE authorization policy: who may see which field. This file is the source of truth;
 * docs/permissions.md is generated from it (`npm run permissions`) and CI fails when the
 * two disagree. Every field of the schema must be listed: an unlisted field is denied, and
 * a test fails on it.
 *
 * Two layers:
 * - `visibility`: may this object appear at all? (customer ownership). Enforced on every
 *   field that returns the type, so another customer's object reads exactly like one that
 *   does not exist: null, or absent from a list.
 * - `fields`: may the caller read this field of a visible object? (token permissions,
 *   license entitlements). A refusal is `null` with FORBIDDEN or LICENSE_REQUIRED at the path.
 */

// Each rule has its own name: stock shield keys its caches by name and refuses duplicates.
const owned = (noun: string) => `${noun} belongs to the caller's customer, or caller is support staff`;

const customerOwned = {
  customer: ownsCustomerOf<Customer>("customer is the caller's customer, or caller is support staff", (c) => c.id),
  billingAccount: ownsCustomerOf<BillingAccount>(owned('billing account'), (a) => a.customerId),
  invoice: ownsCustomerOf<Invoice>(owned('invoice'), (i) => i.customerId),
  license: ownsCustomerOf<License>(owned('license'), (l) => l.customerId),
  usage: ownsCustomerOf<Usage>(owned('usage report'), (u) => u.customerId),
};

const usageAnalytics = hasEntitlement<Customer>('usage-analytics', (c) => c.id);
const forecasting = hasEntitlement<Usage>('forecasting', (u) => u.customerId);
const canSeeEmail = or(isSelf, isCustomerAdmin, isSupportStaff);

export const policy: Policy = {
  visibility: {
    Customer: customerOwned.customer,
    User: canSeeUser,
    BillingAccount: customerOwned.billingAccount,
    Invoice: customerOwned.invoice,
    License: customerOwned.license,
    Usage: customerOwned.usage,
  },
  fields: {
    Query: {
      viewer: isAuthenticated,
      customer: canReadCustomers,
      invoice: canReadBilling,
      license: canReadLicenses,
    },
    Mutation: {
      assignLicenseSeat: seatChange(licenseHasFreeSeat),
      revokeLicenseSeat: seatChange(userHoldsSeat),
    },
    // The caller's own token facts and identity; what lies behind user/customer is
    // governed by the User and Customer rules.
    Viewer: {
      subject: allow,
      clientId: allow,
      user: allow,
      customer: allow,
      permissions: allow,
      entitlements: allow,
      isSupportStaff: allow,
    },
    // A visible customer is the caller's own (or support staff's): its id and name are no secret.
    Customer: {
      id: allow,
      name: allow,
      users: canReadCustomers,
      billingAccount: canReadBilling,
      invoices: canReadBilling,
      licenses: canReadLicenses,
      usage: chain(canReadCustomers, usageAnalytics),
    },
    // Users are reached only through gated fields (Customer.users, LicenseAssignment.user,
    // LicenseSeatPayload.user) or as the caller themself (Viewer.user); User visibility
    // applies on all of them. Contact details need more.
    User: {
      id: allow,
      name: allow,
      role: allow,
      email: canSeeEmail,
      customer: allow,
    },
    BillingAccount: {
      id: canReadBilling,
      customer: canReadBilling,
      currency: canReadBilling,
      balance: canReadBilling,
      billingEmail: canReadBilling,
      paymentTerms: canReadBilling,
      status: canReadBilling,
    },
    Invoice: {
      id: canReadBilling,
      number: canReadBilling,
      customer: canReadBilling,
      status: canReadBilling,
      issuedAt: canReadBilling,
      dueAt: canReadBilling,
      total: canReadBilling,
      lines: canReadBilling,
    },
    // Reached only through Invoice.lines / Customer.invoices, which are gated above.
    InvoiceLine: { description: allow, quantity: allow, unitPrice: allow, amount: allow },
    InvoiceConnection: { edges: allow, pageInfo: allow, totalCount: allow },
    InvoiceEdge: { cursor: allow, node: allow },
    PageInfo: { hasNextPage: allow, hasPreviousPage: allow, startCursor: allow, endCursor: allow },
    Money: { amountMinor: allow, currency: allow, amount: allow },
    License: {
      id: canReadLicenses,
      customer: canReadLicenses,
      product: canReadLicenses,
      features: canReadLicenses,
      seats: canReadLicenses,
      seatsUsed: canReadLicenses,
      validFrom: canReadLicenses,
      validUntil: canReadLicenses,
      status: canReadLicenses,
      assignments: canReadLicenses,
    },
    Product: { id: allow, name: allow },
    LicenseAssignment: { user: canReadCustomers, assignedAt: allow },
    // Reached only through Customer.usage, which needs the usage-analytics entitlement.
    Usage: { period: allow, activeUsers: allow, apiCalls: allow, storageGb: allow, forecast: forecasting },
    UsageForecast: { period: allow, apiCalls: allow, confidence: allow },
    // Reached only through the seat mutations, whose guard required manage:licenses on this
    // license: its ids and seat counts are the change itself. The records behind them need
    // the same read permissions as anywhere else.
    LicenseSeatPayload: {
      licenseId: allow,
      userId: allow,
      seats: allow,
      seatsUsed: allow,
      license: canReadLicenses,
      user: canReadCustomers,
    },
  },
};

/**
 * Names of the fields whose rule reads license entitlements (e.g. `usage`, `forecast`). A
 * request selecting one looks the caller's entitlements up as soon as their customer is known,
 * alongside the read, instead of when the rule first asks.
 */
export const ENTITLEMENT_FIELD_NAMES: ReadonlySet<string> = new Set(
  Object.values(policy.fields).flatMap((fields) =>
    Object.entries(fields).flatMap(([name, rule]) => (readsEntitlements(rule) ? [name] : [])),
  ),
);

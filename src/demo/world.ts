/**
 * The seeded demo world: the records the three demo upstreams serve. Everything is derived
 * from (scale, now) only, so two seeds with the same inputs are deep-equal and tests can
 * state facts ("acme has 14 invoices") without reading the data first.
 */
import type {
  Assignment,
  BillingAccount,
  Customer,
  Invoice,
  InvoiceLine,
  InvoiceStatus,
  License,
  Usage,
  User,
  UserRole,
} from '../upstream/types.js';
import { demoId, seedFromKey } from './ids.js';
import { mulberry32 } from './random.js';
import { PERSONAS, type PersonaName } from './personas.js';

export interface DemoWorld {
  customers: Customer[];
  users: User[];
  accounts: BillingAccount[];
  invoices: Invoice[];
  licenses: License[];
  assignments: Assignment[];
  usage: Usage[];
}

export interface SeedOptions {
  /** Integer ≥ 1 multiplying the world's size; 1 is exactly the persona world. */
  scale?: number;
  /** Reference time that license validity, invoice dates and usage periods are relative to. */
  now?: Date;
}

export interface DemoProduct {
  readonly id: string;
  readonly name: string;
  readonly features: readonly string[];
}

export const DEMO_PRODUCTS = {
  analytics: {
    id: demoId('product', 'analytics-suite'),
    name: 'Analytics Suite',
    features: ['usage-analytics', 'forecasting'],
  },
  core: {
    id: demoId('product', 'core-platform'),
    name: 'Core Platform',
    features: ['core-api', 'sso'],
  },
} as const satisfies Record<string, DemoProduct>;

type ProductKey = keyof typeof DEMO_PRODUCTS;

interface NamedUser {
  /** Unique in the world: the user id derives from it. */
  readonly key: string;
  /**
   * The person behind the record (subject `auth0|<person>`, default: the key). A person in
   * several customers has one record per customer, all with the same subject.
   */
  readonly person?: string;
  readonly name: string;
  readonly role: UserRole;
}

interface LicensePlan {
  readonly product: ProductKey;
  readonly seats: (scale: number) => number;
  readonly validFromDays: number;
  readonly validUntilDays: number;
  /** Keys of the named users holding a seat; 'all' = every user of the customer. */
  readonly assigned: 'all' | readonly string[];
}

interface CustomerPlan {
  readonly slug: string;
  readonly name: string;
  readonly createdAt: string;
  readonly currency: string;
  readonly namedUsers: readonly NamedUser[];
  /** Generated users on top of the named ones; grows with scale. */
  readonly extraUsers: (scale: number) => number;
  readonly invoices: (scale: number) => number;
  readonly licenses: readonly LicensePlan[];
}

const DAY_MS = 86_400_000;

// Generated users per extra scale step = named users - 1, which gives acme 6 + 5·(scale-1).
const BASE_CUSTOMERS: readonly CustomerPlan[] = [
  {
    slug: 'acme',
    name: 'Acme Corp',
    createdAt: '2019-03-14T09:30:00.000Z',
    currency: 'EUR',
    namedUsers: [
      { key: 'alice', name: 'Alice Anderson', role: 'admin' },
      { key: 'bob', name: 'Bob Brown', role: 'member' },
      { key: 'erin', name: 'Erin Evans', role: 'member' },
      { key: 'grace', name: 'Grace Green', role: 'member' },
      { key: 'heidi', name: 'Heidi Hall', role: 'member' },
      { key: 'ivan', name: 'Ivan Ives', role: 'member' },
    ],
    extraUsers: (scale) => 5 * (scale - 1),
    invoices: (scale) => 14 * scale,
    licenses: [
      { product: 'analytics', seats: () => 10, validFromDays: -180, validUntilDays: 365, assigned: ['alice', 'bob', 'erin'] },
      { product: 'core', seats: (scale) => 50 * scale, validFromDays: -180, validUntilDays: 365, assigned: 'all' },
    ],
  },
  {
    slug: 'globex',
    name: 'Globex',
    createdAt: '2020-06-01T12:00:00.000Z',
    currency: 'USD',
    namedUsers: [
      { key: 'carol', name: 'Carol Clark', role: 'admin' },
      { key: 'judy', name: 'Judy Jones', role: 'member' },
      { key: 'ken', name: 'Ken King', role: 'member' },
      // Erin consults for two customers: a member at Acme, an admin here (persona erin).
      { key: 'globex:erin', person: 'erin', name: 'Erin Evans', role: 'admin' },
    ],
    extraUsers: (scale) => 2 * (scale - 1),
    invoices: (scale) => 8 * scale,
    licenses: [
      { product: 'core', seats: (scale) => 25 * scale, validFromDays: -200, validUntilDays: 165, assigned: 'all' },
      // Expired 30 days ago but still commercially active: expiry lives only in validUntil.
      { product: 'analytics', seats: () => 10, validFromDays: -395, validUntilDays: -30, assigned: ['carol'] },
    ],
  },
  {
    slug: 'initech',
    name: 'Initech',
    createdAt: '2021-11-20T08:15:00.000Z',
    currency: 'EUR',
    namedUsers: [
      { key: 'mallory', name: 'Mallory Moore', role: 'admin' },
      { key: 'peggy', name: 'Peggy Parker', role: 'member' },
    ],
    extraUsers: (scale) => scale - 1,
    invoices: (scale) => 6 * scale,
    licenses: [{ product: 'core', seats: (scale) => 10 * scale, validFromDays: -100, validUntilDays: 265, assigned: 'all' }],
  },
];

function extraCustomerPlan(n: number): CustomerPlan {
  return {
    slug: `customer-${n}`,
    name: `Customer ${n}`,
    createdAt: new Date(Date.UTC(2022, 0, 1) + n * DAY_MS).toISOString(),
    currency: n % 2 === 0 ? 'EUR' : 'USD',
    namedUsers: [],
    extraUsers: () => 2,
    invoices: () => 12,
    licenses: [{ product: 'core', seats: () => 10, validFromDays: -30, validUntilDays: 335, assigned: 'all' }],
  };
}

const INVOICE_CATALOG = [
  { description: 'Core Platform subscription (per seat)', unitPriceMinor: 2_900, min: 5, max: 60 },
  { description: 'Analytics Suite subscription (per seat)', unitPriceMinor: 9_900, min: 1, max: 10 },
  { description: 'API calls over plan (per 1,000)', unitPriceMinor: 12, min: 50, max: 5_000 },
  { description: 'Premium support', unitPriceMinor: 49_900, min: 1, max: 1 },
] as const;

/** Builds the demo world; deterministic for a given (scale, now). */
export function seedWorld(options: SeedOptions = {}): DemoWorld {
  const scale = options.scale ?? 1;
  if (!Number.isInteger(scale) || scale < 1) {
    throw new RangeError(`scale must be an integer >= 1, got ${scale}`);
  }
  const now = options.now ?? new Date();
  const world: DemoWorld = {
    customers: [],
    users: [],
    accounts: [],
    invoices: [],
    licenses: [],
    assignments: [],
    usage: [],
  };
  const plans = [...BASE_CUSTOMERS];
  for (let n = 1; n <= (scale - 1) * 10; n++) plans.push(extraCustomerPlan(n));
  for (const plan of plans) seedCustomer(world, plan, scale, now);
  world.users.push({
    id: demoId('user', 'dave'),
    customerId: null,
    subject: PERSONAS.dave.subject,
    name: 'Dave Davis',
    email: 'dave@support.example',
    role: 'support',
  });
  return world;
}

function seedCustomer(world: DemoWorld, plan: CustomerPlan, scale: number, now: Date): void {
  const customerId = demoId('customer', plan.slug);
  world.customers.push({
    id: customerId,
    slug: plan.slug,
    name: plan.name,
    organizationId: organizationIdOf(plan.slug),
    createdAt: plan.createdAt,
  });

  const usersByKey = new Map<string, User>();
  for (const named of plan.namedUsers) {
    const person = named.person ?? named.key;
    const user: User = {
      id: demoId('user', named.key),
      customerId,
      subject: `auth0|${person}`,
      name: named.name,
      email: `${person}@${plan.slug}.example`,
      role: named.role,
    };
    usersByKey.set(named.key, user);
  }
  const extra = plan.extraUsers(scale);
  for (let n = 1; n <= extra; n++) {
    // A customer without named users needs an admin, or nobody could manage its licenses.
    const role: UserRole = plan.namedUsers.length === 0 && n === 1 ? 'admin' : 'member';
    usersByKey.set(`${plan.slug}:${n}`, {
      id: demoId('user', `${plan.slug}:${n}`),
      customerId,
      subject: `auth0|${plan.slug}-user-${n}`,
      name: `${plan.name} User ${n}`,
      email: `user-${n}@${plan.slug}.example`,
      role,
    });
  }
  const users = [...usersByKey.values()];
  world.users.push(...users);

  const accountId = demoId('account', plan.slug);
  const invoices = seedInvoices(plan, customerId, accountId, scale, now);
  world.invoices.push(...invoices);
  world.accounts.push({
    id: accountId,
    customerId,
    currency: plan.currency,
    balanceMinor: invoices
      .filter((invoice) => invoice.status === 'open' || invoice.status === 'overdue')
      .reduce((sum, invoice) => sum + invoice.totalMinor, 0),
    billingEmail: `billing@${plan.slug}.example`,
    paymentTerms: 'NET30',
    status: 'active',
  });

  for (const licensePlan of plan.licenses) {
    const product = DEMO_PRODUCTS[licensePlan.product];
    const validFrom = new Date(now.getTime() + licensePlan.validFromDays * DAY_MS);
    const license: License = {
      id: demoId('license', `${plan.slug}:${licensePlan.product}`),
      customerId,
      productId: product.id,
      productName: product.name,
      features: [...product.features],
      seats: licensePlan.seats(scale),
      validFrom: validFrom.toISOString(),
      validUntil: new Date(now.getTime() + licensePlan.validUntilDays * DAY_MS).toISOString(),
      status: 'active',
    };
    world.licenses.push(license);
    const holders =
      licensePlan.assigned === 'all'
        ? users
        : licensePlan.assigned.map((key) => usersByKey.get(key)).filter((u): u is User => u !== undefined);
    holders.forEach((user, index) => {
      world.assignments.push({
        licenseId: license.id,
        userId: user.id,
        assignedAt: new Date(validFrom.getTime() + (index + 1) * 3_600_000).toISOString(),
      });
    });
  }

  world.usage.push(seedUsage(plan.slug, customerId, users.length, now));
}

function seedInvoices(plan: CustomerPlan, customerId: string, accountId: string, scale: number, now: Date): Invoice[] {
  const count = plan.invoices(scale);
  const invoices: Invoice[] = [];
  for (let monthsAgo = 0; monthsAgo < count; monthsAgo++) {
    // Keyed by months-ago, so the newest invoices keep their ids whatever the scale.
    const key = `${plan.slug}:${monthsAgo}`;
    const random = mulberry32(seedFromKey(`invoice:${key}`));
    const issued = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - monthsAgo, 1));
    const lines: InvoiceLine[] = INVOICE_CATALOG.slice(0, 1 + Math.floor(random() * 4)).map((item) => {
      const quantity = item.min + Math.floor(random() * (item.max - item.min + 1));
      return {
        description: item.description,
        quantity,
        unitPriceMinor: item.unitPriceMinor,
        amountMinor: quantity * item.unitPriceMinor,
      };
    });
    invoices.push({
      id: demoId('invoice', key),
      customerId,
      accountId,
      number: `${plan.slug.toUpperCase()}-${issued.getUTCFullYear()}-${String(issued.getUTCMonth() + 1).padStart(4, '0')}`,
      status: invoiceStatus(monthsAgo),
      currency: plan.currency,
      issuedAt: isoDate(issued),
      dueAt: isoDate(new Date(issued.getTime() + 30 * DAY_MS)),
      totalMinor: lines.reduce((sum, line) => sum + line.amountMinor, 0),
      lines,
    });
  }
  return invoices;
}

function invoiceStatus(monthsAgo: number): InvoiceStatus {
  // Two months back is safely past its NET30 due date whatever day of the month `now` is.
  if (monthsAgo === 0) return 'open';
  if (monthsAgo === 2) return 'overdue';
  return 'paid';
}

function seedUsage(slug: string, customerId: string, activeUsers: number, now: Date): Usage {
  const random = mulberry32(seedFromKey(`usage:${slug}`));
  const apiCalls = 100_000 + Math.floor(random() * 1_900_000);
  const storageGb = Math.round((5 + random() * 495) * 10) / 10;
  const growth = 1.02 + random() * 0.13;
  const confidence = Math.round((0.6 + random() * 0.35) * 100) / 100;
  const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return {
    customerId,
    period: isoDate(month).slice(0, 7),
    activeUsers,
    apiCalls,
    storageGb,
    forecast: { period: isoDate(nextMonth).slice(0, 7), apiCalls: Math.round(apiCalls * growth), confidence },
  };
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The Auth0 Organization id of a demo customer (`org_` + a hash of its slug, like every demo id). */
export function organizationIdOf(slug: string): string {
  return demoId('organization', slug);
}

/** The business user of a persona (the first, for erin); throws for personas without one (frank). */
export function personaUser(world: DemoWorld, name: PersonaName): User {
  const user = findUserBySubject(world, PERSONAS[name].subject);
  if (!user) throw new Error(`persona ${name} has no user in the demo world`);
  return user;
}

/** The persona's user record in the customer with `slug` (erin has one in acme and one in globex). */
export function personaUserIn(world: DemoWorld, name: PersonaName, slug: string): User {
  const customerId = customerBySlug(world, slug).id;
  const user = world.users.find((u) => u.subject === PERSONAS[name].subject && u.customerId === customerId);
  if (!user) throw new Error(`persona ${name} has no user in ${slug}`);
  return user;
}

/** The first user with the given OIDC subject, if any (a person in several customers has several). */
export function findUserBySubject(world: DemoWorld, subject: string): User | undefined {
  return world.users.find((user) => user.subject === subject);
}

/** The customer with the given slug; throws if the world has none. */
export function customerBySlug(world: DemoWorld, slug: string): Customer {
  const customer = world.customers.find((c) => c.slug === slug);
  if (!customer) throw new Error(`no customer with slug ${slug}`);
  return customer;
}

/** Groups records by a key, keeping their order; the demo services index the world with it. */
export function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

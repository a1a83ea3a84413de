import { PERSONAS } from '../../../src/demo/personas.js';
import {
  DEMO_PRODUCTS,
  customerBySlug,
  findUserBySubject,
  organizationIdOf,
  personaUser,
  personaUserIn,
  seedWorld,
} from '../../../src/demo/world.js';
import { demoId } from '../../../src/demo/ids.js';
import { createHash } from 'node:crypto';

const now = new Date('2026-03-15T10:00:00.000Z');

describe('seedWorld at scale 1', () => {
  const world = seedWorld({ now });
  const acme = customerBySlug(world, 'acme');
  const globex = customerBySlug(world, 'globex');
  const initech = customerBySlug(world, 'initech');

  it('derives ids from sha256 of the seed key', () => {
    const hex = createHash('sha256').update('customer:acme').digest('hex').slice(0, 12);
    expect(acme.id).toBe(`cus_${hex}`);
    expect(demoId('customer', 'acme')).toBe(acme.id);
  });

  it('has the three persona customers', () => {
    expect(world.customers.map((c) => [c.slug, c.name])).toEqual([
      ['acme', 'Acme Corp'],
      ['globex', 'Globex'],
      ['initech', 'Initech'],
    ]);
  });

  it('gives every customer an Auth0 organization id, deterministic like every demo id', () => {
    expect(world.customers.map((c) => c.organizationId)).toEqual([acme, globex, initech].map((c) => organizationIdOf(c.slug)));
    expect(organizationIdOf('acme')).toBe(`org_${createHash('sha256').update('organization:acme').digest('hex').slice(0, 12)}`);
  });

  it('models erin as a member at acme and an admin at globex, both records with her subject', () => {
    expect(personaUserIn(world, 'erin', 'acme')).toMatchObject({ subject: 'auth0|erin', role: 'member', email: 'erin@acme.example' });
    expect(personaUserIn(world, 'erin', 'globex')).toMatchObject({ subject: 'auth0|erin', role: 'admin', email: 'erin@globex.example' });
    expect(personaUserIn(world, 'erin', 'acme').id).not.toBe(personaUserIn(world, 'erin', 'globex').id);
    expect(() => personaUserIn(world, 'erin', 'initech')).toThrow();
  });

  it('maps personas to users with the expected roles and customers', () => {
    expect(personaUser(world, 'alice')).toMatchObject({ customerId: acme.id, role: 'admin', email: 'alice@acme.example' });
    expect(personaUser(world, 'bob')).toMatchObject({ customerId: acme.id, role: 'member' });
    expect(personaUser(world, 'carol')).toMatchObject({ customerId: globex.id, role: 'admin' });
    expect(personaUser(world, 'mallory')).toMatchObject({ customerId: initech.id, role: 'admin' });
    expect(personaUser(world, 'dave')).toMatchObject({ customerId: null, role: 'support' });
    expect(findUserBySubject(world, PERSONAS.frank.subject)).toBeUndefined();
    expect(() => personaUser(world, 'frank')).toThrow();
  });

  it('sizes users and invoices per customer', () => {
    const count = <T extends { customerId: string | null }>(items: T[], customerId: string) =>
      items.filter((item) => item.customerId === customerId).length;
    // Globex's 4 include erin's second record (she is a member at Acme too).
    expect([acme, globex, initech].map((c) => count(world.users, c.id))).toEqual([6, 4, 2]);
    expect([acme, globex, initech].map((c) => count(world.invoices, c.id))).toEqual([14, 8, 6]);
    expect(world.accounts.map((a) => a.currency)).toEqual(['EUR', 'USD', 'EUR']);
  });

  it('keeps invoices consistent: integer money, totals = sum of lines, newest open, one overdue', () => {
    for (const invoice of world.invoices) {
      expect(invoice.lines.length).toBeGreaterThanOrEqual(1);
      expect(invoice.lines.length).toBeLessThanOrEqual(4);
      for (const line of invoice.lines) {
        expect(Number.isInteger(line.amountMinor)).toBe(true);
        expect(line.amountMinor).toBe(line.quantity * line.unitPriceMinor);
      }
      expect(invoice.totalMinor).toBe(invoice.lines.reduce((sum, line) => sum + line.amountMinor, 0));
    }
    const acmeInvoices = world.invoices
      .filter((invoice) => invoice.customerId === acme.id)
      .sort((a, b) => b.issuedAt.localeCompare(a.issuedAt));
    expect(acmeInvoices[0]).toMatchObject({ status: 'open', issuedAt: '2026-03-01', number: 'ACME-2026-0003' });
    expect(acmeInvoices.filter((invoice) => invoice.status === 'overdue')).toHaveLength(1);
    expect(acmeInvoices.filter((invoice) => invoice.status === 'paid')).toHaveLength(12);
  });

  it('gives globex an expired analytics license relative to now', () => {
    const analytics = world.licenses.filter((l) => l.productId === DEMO_PRODUCTS.analytics.id);
    const globexAnalytics = analytics.find((l) => l.customerId === globex.id);
    expect(globexAnalytics?.status).toBe('active');
    expect(Date.parse(globexAnalytics?.validUntil ?? '')).toBe(now.getTime() - 30 * 86_400_000);
    const acmeAnalytics = analytics.find((l) => l.customerId === acme.id);
    expect(Date.parse(acmeAnalytics?.validUntil ?? '')).toBe(now.getTime() + 365 * 86_400_000);
    expect(world.licenses.filter((l) => l.customerId === initech.id).map((l) => l.productName)).toEqual(['Core Platform']);
  });

  it('assigns analytics seats to alice, bob and one more, and core seats to every acme user', () => {
    const [analytics, core] = world.licenses.filter((l) => l.customerId === acme.id);
    const holders = (licenseId: string | undefined) => world.assignments.filter((a) => a.licenseId === licenseId).map((a) => a.userId);
    expect(analytics?.seats).toBe(10);
    expect(holders(analytics?.id)).toHaveLength(3);
    expect(holders(analytics?.id)).toEqual(expect.arrayContaining([personaUser(world, 'alice').id, personaUser(world, 'bob').id]));
    expect(core?.seats).toBe(50);
    expect(holders(core?.id).sort()).toEqual(
      world.users
        .filter((u) => u.customerId === acme.id)
        .map((u) => u.id)
        .sort(),
    );
  });

  it('has one usage record per customer for the current month', () => {
    expect(world.usage.map((u) => [u.period, u.forecast.period])).toEqual([
      ['2026-03', '2026-04'],
      ['2026-03', '2026-04'],
      ['2026-03', '2026-04'],
    ]);
  });
});

describe('seedWorld at scale', () => {
  it('is deterministic for (scale, now) and grows acme to 700 invoices at scale 50', () => {
    const a = seedWorld({ scale: 50, now });
    const b = seedWorld({ scale: 50, now });
    expect(a).toEqual(b);
    const acme = customerBySlug(a, 'acme');
    expect(a.invoices.filter((i) => i.customerId === acme.id)).toHaveLength(700);
    expect(a.users.filter((u) => u.customerId === acme.id)).toHaveLength(6 + 5 * 49);
    expect(a.customers).toHaveLength(3 + 490);
    expect(a.invoices.length).toBeGreaterThan(5000);
    expect(new Set(a.invoices.map((i) => i.id)).size).toBe(a.invoices.length);
    // One record per (person, customer): only erin's subject appears twice, in two customers.
    expect(new Set(a.users.map((u) => `${u.subject} ${u.customerId}`)).size).toBe(a.users.length);
    expect(new Set(a.users.map((u) => u.subject)).size).toBe(a.users.length - 1);
    expect(customerBySlug(a, 'customer-7').name).toBe('Customer 7');
  });

  it('rejects a scale that is not a positive integer', () => {
    expect(() => seedWorld({ scale: 0 })).toThrow(RangeError);
    expect(() => seedWorld({ scale: 1.5 })).toThrow(RangeError);
  });
});

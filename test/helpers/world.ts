import { DEMO_PRODUCTS, customerBySlug, personaUser, type DemoWorld } from '../../src/demo/world.js';
import type { License } from '../../src/upstream/types.js';

/** Named facts of the seeded demo world, looked up once so tests read like the contract. */
export function worldFacts(world: DemoWorld) {
  const acme = customerBySlug(world, 'acme');
  const globex = customerBySlug(world, 'globex');
  const initech = customerBySlug(world, 'initech');
  const licenseOf = (customerId: string, product: keyof typeof DEMO_PRODUCTS): License => {
    const found = world.licenses.find((l) => l.customerId === customerId && l.productId === DEMO_PRODUCTS[product].id);
    if (!found) throw new Error(`no ${product} license for ${customerId}`);
    return found;
  };
  const invoicesOf = (customerId: string) =>
    world.invoices
      .filter((i) => i.customerId === customerId)
      .sort((a, b) => b.issuedAt.localeCompare(a.issuedAt) || a.id.localeCompare(b.id));
  return {
    acme,
    globex,
    initech,
    customers: { acme, globex, initech },
    alice: personaUser(world, 'alice'),
    bob: personaUser(world, 'bob'),
    carol: personaUser(world, 'carol'),
    mallory: personaUser(world, 'mallory'),
    dave: personaUser(world, 'dave'),
    licenseOf,
    invoicesOf,
    usersOf: (customerId: string) => world.users.filter((u) => u.customerId === customerId),
    assignmentsOf: (licenseId: string) => world.assignments.filter((a) => a.licenseId === licenseId),
  };
}

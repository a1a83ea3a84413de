/**
 * The example portal (examples/portal) as its users meet it: built with Vite, served from an
 * origin of its own, signed in as a persona, talking to a BFF that accepts that origin only
 * (CORS) and the portal's trusted documents only, driven in headless Chromium. What each
 * persona sees is asserted against the demo world; screenshots go to test/browser/screenshots/.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { buildPortal, PORTAL_MANIFEST } from '../../examples/portal/server/build.js';
import { type PortalServer, startPortalServer } from '../../examples/portal/server/portal-server.js';
import type { PersonaName } from '../../src/demo/personas.js';
import { launchChromium, waitForText, watchForErrors } from '../helpers/browser.js';
import { startStack, type TestStack } from '../helpers/stack.js';
import { worldFacts } from '../helpers/world.js';

const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
// The portal's page size (examples/portal/src/components/InvoicesSection.tsx).
const PAGE_SIZE = 5;
const count = (value: number) => new Intl.NumberFormat('en-US').format(value);

let stack: TestStack;
let portal: PortalServer;
let browser: Browser;
let distDir: string;
const manifest = JSON.parse(readFileSync(PORTAL_MANIFEST, 'utf8')) as Record<string, string>;

beforeAll(async () => {
  distDir = mkdtempSync(join(tmpdir(), 'portal-dist-'));
  mkdirSync(SCREENSHOTS, { recursive: true });
  // The build (a few seconds of Vite) and Chromium's start overlap.
  [browser] = await Promise.all([launchChromium(), buildPortal(distDir)]);
  portal = await startPortalServer({ distDir, bffUrl: () => stack.url, signToken: (persona) => stack.token(persona) });
  stack = await startStack({
    env: {
      CORS_ORIGINS: portal.origin,
      TRUSTED_DOCUMENTS: PORTAL_MANIFEST,
      ALLOW_FREE_FORM_DOCUMENTS: 'false',
      // The stack relaxes the per-caller limits for API suites; a page must load within the real ones.
      RATE_LIMIT_CALLER_CONCURRENCY: '8',
      RATE_LIMIT_CALLER_PER_SECOND: '20',
      RATE_LIMIT_CALLER_BURST: '60',
    },
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await portal?.close();
  await stack?.stop();
  rmSync(distDir, { recursive: true, force: true });
});

interface OpenedPortal {
  readonly page: Page;
  /** Uncaught errors and console errors of the page. */
  readonly problems: string[];
  /** The bodies of the GraphQL requests the page sent to the BFF. */
  readonly requests: Record<string, any>[];
}

/** Opens the portal as `persona` in a fresh browser context (no cookies, no cache) and waits for its heading. */
async function openPortal(persona: PersonaName, at: PortalServer = portal): Promise<OpenedPortal> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems = watchForErrors(page);
  const requests: Record<string, any>[] = [];
  page.on('request', (request) => {
    if (request.url() === stack.url && request.method() === 'POST') requests.push(JSON.parse(request.postData() ?? 'null'));
  });
  await page.goto(`${at.url}?persona=${persona}`);
  await page.getByRole('heading', { level: 1 }).waitFor();
  return { page, problems, requests };
}

/** The things every page must get right, whoever is signed in. */
async function finish(name: string, opened: OpenedPortal): Promise<void> {
  await opened.page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  await opened.page.context().close();
  expect(opened.problems).toEqual([]);
  // Trusted documents end to end: ids from the client preset's manifest, never a query text.
  expect(opened.requests.length).toBeGreaterThan(0);
  for (const body of opened.requests) {
    expect(body.query).toBeUndefined();
    expect(Object.keys(manifest)).toContain(body.extensions?.persistedQuery?.sha256Hash);
  }
}

const region = (page: Page, name: string) => page.getByRole('region', { name });

test('alice (Acme admin) pages through invoices, sees licenses with seat management and usage with its forecast', async () => {
  const facts = worldFacts(stack.world);
  const invoices = facts.invoicesOf(facts.acme.id).map((invoice) => invoice.number);
  const opened = await openPortal('alice');
  const { page } = opened;
  await page.getByRole('heading', { level: 1, name: 'Acme Corp' }).waitFor();

  const billing = region(page, 'Billing');
  const rows = billing.locator('tbody tr td:first-child');
  await waitForText(billing, `Invoices 1–${PAGE_SIZE} of ${invoices.length}`);
  expect(await rows.allInnerTexts()).toEqual(invoices.slice(0, PAGE_SIZE));
  await billing.getByRole('button', { name: 'Next page' }).click();
  await waitForText(billing, `Invoices 6–10 of ${invoices.length}`);
  expect(await rows.allInnerTexts()).toEqual(invoices.slice(PAGE_SIZE, 2 * PAGE_SIZE));
  await billing.getByRole('button', { name: 'Next page' }).click();
  await waitForText(billing, `Invoices 11–${invoices.length} of ${invoices.length}`);
  expect(await rows.allInnerTexts()).toEqual(invoices.slice(2 * PAGE_SIZE));
  expect(await billing.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
  await billing.getByRole('button', { name: 'Previous page' }).click();
  await waitForText(billing, `Invoices 6–10 of ${invoices.length}`);

  const analytics = facts.licenseOf(facts.acme.id, 'analytics');
  const card = region(page, 'Licenses').getByRole('article', { name: 'Analytics Suite' });
  await waitForText(card, `${facts.assignmentsOf(analytics.id).length} of ${analytics.seats} seats used`);
  expect(await card.getByRole('button', { name: /^(Assign|Revoke) / }).count()).toBe(facts.usersOf(facts.acme.id).length);

  const usage = stack.world.usage.find((entry) => entry.customerId === facts.acme.id)!;
  const usageRegion = region(page, 'Usage');
  await waitForText(usageRegion, `Forecast for ${usage.forecast.period}: ${count(usage.forecast.apiCalls)} API calls`);
  await waitForText(usageRegion, count(usage.apiCalls));
  await waitForText(region(page, 'People'), facts.bob.email);
  // Everything loaded, nothing refused: no notice anywhere on her page.
  expect(await page.getByText(/No access|Needs a license|Unavailable|Could not load/).count()).toBe(0);
  await finish('alice', opened);
});

test('bob (Acme member, no read:billing) is told billing needs read:billing, and still sees his licenses, without seat controls', async () => {
  const facts = worldFacts(stack.world);
  const opened = await openPortal('bob');
  const { page } = opened;
  await page.getByRole('heading', { level: 1, name: 'Acme Corp' }).waitFor();

  const billing = region(page, 'Billing');
  await waitForText(billing, 'No access (needs read:billing)');
  expect(await billing.getByRole('table').count()).toBe(0);

  const licenses = region(page, 'Licenses');
  for (const product of ['analytics', 'core'] as const) {
    const license = facts.licenseOf(facts.acme.id, product);
    await waitForText(
      licenses.getByRole('article', { name: license.productName }),
      `${facts.assignmentsOf(license.id).length} of ${license.seats} seats used`,
    );
  }
  // Viewer says no manage:licenses: nothing offered that could only be refused.
  expect(await licenses.getByRole('button').count()).toBe(0);

  // One FORBIDDEN stands for every other member's address; with Apollo Client's default
  // errorPolicy ('none') it would throw the whole list away, bob's own row included.
  const people = region(page, 'People');
  await waitForText(people, facts.bob.email);
  const others = facts.usersOf(facts.acme.id).filter((user) => user.id !== facts.bob.id);
  expect(await people.getByText('No access', { exact: true }).count()).toBe(others.length);
  for (const other of others) expect(await people.getByText(other.email).count()).toBe(0);
  await finish('bob', opened);
});

test('carol (Globex admin, analytics expired) is told usage needs a license with usage-analytics, and sees the license expired', async () => {
  const facts = worldFacts(stack.world);
  const opened = await openPortal('carol');
  const { page } = opened;
  await page.getByRole('heading', { level: 1, name: 'Globex' }).waitFor();

  const usage = region(page, 'Usage');
  await waitForText(usage, 'Needs a license with usage-analytics');
  expect(await usage.getByText(/Forecast/).count()).toBe(0);
  await waitForText(region(page, 'Licenses').getByRole('article', { name: 'Analytics Suite' }), 'expired');
  // Everything else of Globex is hers to see.
  await waitForText(region(page, 'Billing'), `of ${facts.invoicesOf(facts.globex.id).length}`);
  await finish('carol', opened);
});

test('alice assigns a seat and revokes it: the card and the licenses upstream change and change back', async () => {
  const facts = worldFacts(stack.world);
  const analytics = facts.licenseOf(facts.acme.id, 'analytics');
  const before = facts.assignmentsOf(analytics.id).map((assignment) => assignment.userId);
  const newcomer = facts.usersOf(facts.acme.id).find((user) => !before.includes(user.id))!;
  const opened = await openPortal('alice');
  const card = region(opened.page, 'Licenses').getByRole('article', { name: 'Analytics Suite' });
  await waitForText(card, `${before.length} of ${analytics.seats} seats used`);

  await card.getByRole('button', { name: `Assign a Analytics Suite seat to ${newcomer.name}` }).click();
  await waitForText(card, `${before.length + 1} of ${analytics.seats} seats used`);
  expect(facts.assignmentsOf(analytics.id).map((assignment) => assignment.userId)).toEqual([...before, newcomer.id]);

  await card.getByRole('button', { name: `Revoke ${newcomer.name}'s Analytics Suite seat` }).click();
  await waitForText(card, `${before.length} of ${analytics.seats} seats used`);
  await card.getByRole('button', { name: `Assign a Analytics Suite seat to ${newcomer.name}` }).waitFor();
  expect(facts.assignmentsOf(analytics.id).map((assignment) => assignment.userId)).toEqual(before);

  // The mutations' answers updated the card through the cache: the licenses were read once.
  const operations = opened.requests.map((body) => body.operationName);
  expect(operations.filter((name) => name === 'PortalLicenses')).toHaveLength(1);
  expect(operations.filter((name) => name === 'AssignSeat' || name === 'RevokeSeat')).toEqual(['AssignSeat', 'RevokeSeat']);
  await finish('alice-seats', opened);
});

test('callers without a customer get an explanation, not empty sections', async () => {
  for (const [persona, text] of [
    ['dave', 'Support staff see customers in the support console'],
    ['frank', 'Your sign-in is not linked to a customer account'],
  ] as const) {
    const opened = await openPortal(persona);
    await waitForText(opened.page.getByRole('alert'), text);
    expect(await opened.page.getByRole('region').count()).toBe(0);
    await finish(persona, opened);
  }
});

test('served from an origin the BFF does not list, the portal says it cannot reach its API', async () => {
  const elsewhere = await startPortalServer({ distDir, bffUrl: () => stack.url, signToken: (persona) => stack.token(persona) });
  try {
    const opened = await openPortal('alice', elsewhere);
    await waitForText(opened.page.getByRole('alert'), 'could not reach its API');
    // Chromium reports the refused CORS request on the console: that is the expected failure here.
    expect(opened.problems.length).toBeGreaterThan(0);
    expect(opened.problems.every((problem) => /CORS|Failed to load resource|ERR_FAILED/.test(problem))).toBe(true);
    await opened.page.context().close();
  } finally {
    await elsewhere.close();
  }
});

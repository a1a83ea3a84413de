import { existsSync } from 'node:fs';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';

// Debian's package, which CI installs (.ci/run); CHROMIUM_PATH points elsewhere.
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

// Headless, and quiet: this machine's network is closed, and without the background-networking
// flags Chromium's own connections (updates, sync, QUIC probes) are refused and slow it down.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The Chromium executable the browser tests drive; throws, saying how to install it, when there is none. */
export function chromiumExecutable(): string {
  const configured = process.env.CHROMIUM_PATH;
  const found = configured !== undefined && configured !== '' ? [configured] : CANDIDATES.filter((path) => existsSync(path));
  if (found[0] === undefined || !existsSync(found[0])) {
    throw new Error(
      `The browser tests need Chromium and found none (${configured ? `CHROMIUM_PATH=${configured}` : CANDIDATES.join(', ')}). ` +
        'Install it with `sudo apt-get update && sudo apt-get install -y chromium` (what .ci/run does), or set CHROMIUM_PATH.',
    );
  }
  return found[0];
}

/** Headless Chromium through playwright-core; each launch gets a fresh temporary profile. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumExecutable(), headless: true, args: ARGS });
}

/** Waits until an element of `locator` shows `text` (Playwright's auto-waiting, without @playwright/test). */
export async function waitForText(locator: Locator, text: string | RegExp): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor();
}

/** What went wrong in a page that the user would not see in the DOM: uncaught errors and console errors. */
export function watchForErrors(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  return problems;
}

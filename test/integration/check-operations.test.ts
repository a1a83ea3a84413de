/**
 * `npm run check-operations`: what an SPA team runs before shipping operations, or CI runs on
 * the manifests it deploys. It must agree with the server and fail the build when a document
 * would be refused.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { clientPresetManifest, fixture, writeManifest } from '../helpers/client-preset.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function checkOperations(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/check-operations.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

test('reports every operation of .graphql files, with its fragments, against the configured limits', () => {
  const run = checkOperations([fixture('spa')]);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/^Dashboard \(operations\.graphql\) +5\/10 +0\/15 +0\/20 +\d+\/1000 +\d+ +ok$/m);
  expect(run.stdout).toContain('3 document(s), 0 refused.');
});

test('exits 1 and says why when a document is over a limit', () => {
  const run = checkOperations([fixture('spa/operations.graphql')], { GRAPHQL_MAX_DEPTH: '5' });
  expect(run.status).toBe(1);
  expect(run.stdout).toContain('InvoicePage (operations.graphql): The query is nested too deeply. (depth 6, limit GRAPHQL_MAX_DEPTH=5)');
  expect(run.stdout).toContain('3 document(s), 1 refused.');
});

test('reads the manifests of TRUSTED_DOCUMENTS by default, and refuses entries whose id is wrong', async () => {
  const { path } = await clientPresetManifest([fixture('spa/operations.graphql')]);
  const ok = checkOperations([], { TRUSTED_DOCUMENTS: path });
  expect(ok.status).toBe(0);
  expect(ok.stdout).toContain('AssignSeat (persisted-documents.json)');
  const broken = writeManifest({ 'sha256:0000000000000000000000000000000000000000000000000000000000000000': '{ viewer { subject } }' });
  const bad = checkOperations([broken]);
  expect(bad.status).toBe(1);
  expect(bad.stdout).toMatch(/the id is not the sha256 of its document/);
});

test('without documents it explains how to call it', () => {
  const run = checkOperations([]);
  expect(run.status).toBe(2);
  expect(run.stderr).toMatch(/usage: npm run check-operations/);
});

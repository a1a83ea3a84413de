import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The portal's folder (index.html, vite.config.ts, src/). */
export const PORTAL_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The persisted-documents manifest the client preset writes: what the BFF's TRUSTED_DOCUMENTS lists. */
export const PORTAL_MANIFEST = join(PORTAL_ROOT, 'src', 'gql', 'persisted-documents.json');

/**
 * Builds the portal with Vite into `outDir`, in a child process exactly as `vite build` runs
 * from the command line; rejects with Vite's output when the build fails.
 */
export function buildPortal(outDir: string): Promise<void> {
  const vite = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  const child = spawn(process.execPath, [vite, 'build', PORTAL_ROOT, '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolveBuild, reject) => {
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolveBuild() : reject(new Error(`vite build failed (exit ${code}):\n${output}`))));
  });
}

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/paths.js';
import { renderErrorCodesModule, renderReadme, renderSchemaArtifact } from './schema-artifacts.js';

/** `npm run schema`: writes the client-facing artifacts (see schema-artifacts.ts) and says which changed. */
function main(): void {
  const readmePath = join(PROJECT_ROOT, 'README.md');
  const outputs: [string, string][] = [
    ['docs/schema.graphql', renderSchemaArtifact()],
    ['docs/error-codes.ts', renderErrorCodesModule()],
    ['README.md', renderReadme(readFileSync(readmePath, 'utf8'))],
  ];
  for (const [file, content] of outputs) {
    const path = join(PROJECT_ROOT, file);
    let before = '';
    try {
      before = readFileSync(path, 'utf8');
    } catch {
      // A missing file is written for the first time.
    }
    if (before === content) continue;
    writeFileSync(path, content);
    process.stderr.write(`schema: wrote ${file}\n`);
  }
}

main();

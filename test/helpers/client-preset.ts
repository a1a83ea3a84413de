import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import { preset as clientPreset } from '@graphql-codegen/client-preset';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The published schema artifact SPA teams generate their clients from. */
export const SCHEMA_ARTIFACT = join(ROOT, 'docs/schema.graphql');

/**
 * Runs GraphQL Code Generator's client preset with `persistedDocuments: true` over `documents`
 * (globs or files), exactly as an SPA's build would, and writes the persisted-documents manifest
 * to a fresh temporary directory. Resolves to the manifest's path and content.
 */
export async function clientPresetManifest(documents: string[]): Promise<{ path: string; manifest: Record<string, string> }> {
  const outputs = await generate(
    {
      schema: SCHEMA_ARTIFACT,
      documents,
      silent: true,
      generates: { 'gql/': { preset: clientPreset, presetConfig: { persistedDocuments: true } } },
    },
    false,
  );
  const file = (outputs as { filename: string; content: string }[]).find((output) => output.filename.endsWith('persisted-documents.json'));
  if (!file) throw new Error('the client preset wrote no persisted-documents.json');
  const path = join(mkdtempSync(join(tmpdir(), 'bff-manifest-')), 'persisted-documents.json');
  writeFileSync(path, file.content);
  return { path, manifest: JSON.parse(file.content) as Record<string, string> };
}

/** A manifest written as-is to a fresh temporary file (for deliberately broken ones). */
export function writeManifest(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'bff-manifest-')), 'manifest.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The path of a fixture under test/fixtures. */
export function fixture(path: string): string {
  return join(ROOT, 'test/fixtures', path);
}

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Persisted-document manifests as SPAs' build tools write them. Two formats are read:
 * - GraphQL Code Generator's client preset (`persistedDocuments: true`): `{ "<id>": "<document>" }`,
 *   ids `sha256:<hex>` (or plain `<hex>`);
 * - Apollo's `apollo-persisted-query-manifest` (`@apollo/generate-persisted-query-manifest`):
 *   `{ format, version: 1, operations: [{ id, body }] }`, ids plain sha256 hex.
 * Every id must be the sha256 of its document text, exactly as the client computes it: it is
 * what a request's id is matched against, and what a client sending the text too is checked with.
 */

/** One document of a manifest, its id checked against its text. */
export interface ManifestEntry {
  /** sha256 of `text`, lower-case hex (the id without any `sha256:` prefix). */
  readonly id: string;
  readonly text: string;
  /** The manifest file it came from, as configured. */
  readonly file: string;
  /** The id as the manifest wrote it, for messages. */
  readonly key: string;
}

/** The sha256 of a document text, lower-case hex: the id clients send. */
export function documentHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

const ID = /^(?:sha256:)?([0-9a-f]{64})$/i;

/** The sha256 hex an id stands for (`sha256:<hex>` or `<hex>`), or null when it is no sha256 id. */
export function parseDocumentId(id: string): string | null {
  const match = ID.exec(id);
  return match ? match[1]!.toLowerCase() : null;
}

/** Reads the manifests; returns the entries and every problem found (all files are read). */
export function readManifests(files: readonly string[], cwd: string = process.cwd()): { entries: ManifestEntry[]; problems: string[] } {
  const entries: ManifestEntry[] = [];
  const problems: string[] = [];
  for (const file of files) {
    let content: string;
    let raw: unknown;
    try {
      content = readFileSync(resolve(cwd, file), 'utf8');
    } catch (error) {
      problems.push(`${file}: cannot be read (${messageOf(error)})`);
      continue;
    }
    try {
      raw = JSON.parse(content);
    } catch (error) {
      problems.push(`${file}: is not JSON (${messageOf(error)})`);
      continue;
    }
    for (const [key, text] of pairsOf(raw, file, problems)) {
      const id = parseDocumentId(key);
      if (typeof text !== 'string' || text.trim() === '') problems.push(`${file}: ${key}: the document is not a non-empty string`);
      else if (id === null)
        problems.push(
          `${file}: ${key}: not a sha256 document id (generate the manifest with the client preset's persistedDocuments: { hashAlgorithm: 'sha256' }, its default)`,
        );
      else if (documentHash(text) !== id)
        problems.push(`${file}: ${key}: the id is not the sha256 of its document (sha256:${documentHash(text)})`);
      else entries.push({ id, text, file, key });
    }
  }
  return { entries, problems };
}

function pairsOf(raw: unknown, file: string, problems: string[]): [string, unknown][] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push(`${file}: a manifest is a JSON object (id -> document, or an apollo-persisted-query-manifest)`);
    return [];
  }
  const record = raw as Record<string, unknown>;
  if (record.format !== 'apollo-persisted-query-manifest') return Object.entries(record);
  if (record.version !== 1 || !Array.isArray(record.operations)) {
    problems.push(`${file}: an apollo-persisted-query-manifest must have version 1 and an operations array`);
    return [];
  }
  return record.operations.map((operation: unknown, index): [string, unknown] => {
    const { id, body } = (typeof operation === 'object' && operation !== null ? operation : {}) as { id?: unknown; body?: unknown };
    return [typeof id === 'string' ? id : `operations[${index}]`, body];
  });
}

function messageOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error);
}

/**
 * The client-facing artifacts are what `npm run schema` renders now: SPA teams in other
 * repositories generate their types from docs/schema.graphql, so a stale copy misleads them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSchema, printSchema } from 'graphql';
import { renderErrorCodesModule, renderReadme, renderSchemaArtifact } from '../../../scripts/schema-artifacts.js';
import { ERROR_CODE_DOCS, ErrorCode } from '../../../src/errors.js';
import { createSchema } from '../../../src/schema.js';
import { ERROR_CODES, ErrorCode as PublishedErrorCode, isErrorCode } from '../../../docs/error-codes.js';

const read = (file: string) => readFileSync(fileURLToPath(new URL(`../../../${file}`, import.meta.url)), 'utf8');
const STALE = 'stale: run `npm run schema` and commit the result';

test('docs/schema.graphql is the composed schema (run `npm run schema`)', () => {
  expect([read('docs/schema.graphql') === renderSchemaArtifact(), STALE]).toEqual([true, STALE]);
  // It is the schema the server runs, descriptions included, and it stands alone.
  expect(printSchema(buildSchema(read('docs/schema.graphql')))).toBe(printSchema(createSchema()));
});

test('docs/error-codes.ts and the README table are rendered from src/errors.ts (run `npm run schema`)', () => {
  expect([read('docs/error-codes.ts') === renderErrorCodesModule(), STALE]).toEqual([true, STALE]);
  expect([read('README.md') === renderReadme(read('README.md')), STALE]).toEqual([true, STALE]);
});

test('the published module names exactly the codes the server sends, with their meaning', () => {
  expect(PublishedErrorCode).toEqual(ErrorCode);
  expect(ERROR_CODES).toEqual(ERROR_CODE_DOCS);
  expect(isErrorCode('FORBIDDEN')).toBe(true);
  expect(isErrorCode('toString')).toBe(false);
});

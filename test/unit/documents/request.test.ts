import { createHash } from 'node:crypto';
import { loadConfig } from '../../../src/config.js';
import { documentGate, prepareDocumentRequest } from '../../../src/documents/request.js';
import { TrustedDocuments } from '../../../src/documents/trusted.js';
import { queryProtection } from '../../../src/limits/query-shape.js';
import { createLogger } from '../../../src/log.js';
import { createSchema } from '../../../src/schema.js';
import { writeManifest } from '../../helpers/client-preset.js';

const hex = (text: string) => createHash('sha256').update(text).digest('hex');
const DOC = 'query Me { viewer { subject } }';
const LIMITS = loadConfig({}).queryLimits;
const documents = TrustedDocuments.load([writeManifest({ [`sha256:${hex(DOC)}`]: DOC })], {
  schema: createSchema(),
  limits: LIMITS,
  maxPageSize: 100,
  protection: queryProtection(LIMITS, { production: true }),
});

test('a GET by documentId becomes an ordinary GET with the text; other extensions are kept', () => {
  const search = `?${new URLSearchParams({ documentId: `sha256:${hex(DOC)}`, variables: '{}', extensions: JSON.stringify({ trace: true }) })}`;
  const prepared = prepareDocumentRequest({ method: 'GET', body: undefined, search }, documents);
  expect('refused' in prepared).toBe(false);
  if ('refused' in prepared) return;
  const params = new URLSearchParams(prepared.search);
  expect([params.get('query'), params.get('documentId'), params.get('variables'), params.get('extensions')]).toEqual([
    DOC,
    null,
    '{}',
    '{"trace":true}',
  ]);
  expect(prepared.admission).toEqual({ kind: 'trusted', id: hex(DOC) });
});

test('a POST by APQ hash loses the persistedQuery extension, so Apollo (APQ off) runs it as a query', () => {
  const prepared = prepareDocumentRequest(
    { method: 'POST', body: { operationName: 'Me', extensions: { persistedQuery: { version: 1, sha256Hash: hex(DOC) } } }, search: '' },
    documents,
  );
  expect(prepared).toEqual({ body: { operationName: 'Me', query: DOC }, search: '', admission: { kind: 'trusted', id: hex(DOC) } });
});

test('malformed id fields are refused before anything else', () => {
  const refused = (body: unknown) => prepareDocumentRequest({ method: 'POST', body, search: '' }, documents);
  expect(refused({ documentId: 42 })).toEqual({ refused: 'documentId must be a string.' });
  expect(refused({ extensions: { persistedQuery: { version: 2, sha256Hash: hex(DOC) } } })).toHaveProperty('refused');
  expect(refused({ extensions: { persistedQuery: true } })).toHaveProperty('refused');
});

test('requests without a document, batches and non-JSON bodies are left for Apollo to answer', () => {
  for (const body of [undefined, [{ documentId: hex(DOC) }], {}]) {
    const prepared = prepareDocumentRequest({ method: 'POST', body, search: '' }, documents);
    expect(prepared).toEqual({ body, search: '', admission: { kind: 'none' } });
  }
});

describe('the gate after authentication', () => {
  const caller = (...permissions: string[]) => ({ subject: 'auth0|x', clientId: null, permissions: new Set(permissions) });
  const log = createLogger('silent');
  const strict = documentGate({ manifests: ['m.json'], allowFreeForm: false, freeFormPermission: 'debug:graphql' }, log);
  const open = documentGate({ manifests: [], allowFreeForm: true, freeFormPermission: null }, log);

  test('trusted documents and no-document requests always pass; unknown ids never do', () => {
    for (const gate of [strict, open]) {
      expect(() => gate({ kind: 'trusted', id: hex(DOC) }, caller())).not.toThrow();
      expect(() => gate({ kind: 'none' }, caller())).not.toThrow();
      expect(() => gate({ kind: 'unknown', id: 'x', shape: 'document-id' }, caller('debug:graphql'))).toThrow(
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'PERSISTED_QUERY_NOT_FOUND' }) }),
      );
    }
  });

  test('free-form: allowed where configured, or for holders of the permission', () => {
    expect(() => open({ kind: 'free-form' }, caller())).not.toThrow();
    expect(() => strict({ kind: 'free-form' }, caller('debug:graphql'))).not.toThrow();
    expect(() => strict({ kind: 'free-form' }, caller('read:customers'))).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'PERSISTED_QUERY_NOT_IN_LIST' }) }),
    );
  });
});

import { createHash } from 'node:crypto';
import { loadConfig } from '../../../src/config.js';
import { parseDocumentId, readManifests } from '../../../src/documents/manifest.js';
import { TrustedDocuments, TrustedDocumentsError } from '../../../src/documents/trusted.js';
import { queryProtection } from '../../../src/limits/query-shape.js';
import { createSchema } from '../../../src/schema.js';
import { writeManifest } from '../../helpers/client-preset.js';

const hex = (text: string, algorithm = 'sha256') => createHash(algorithm).update(text).digest('hex');
const DOC = 'query Me { viewer { subject } }';
const LIMITS = loadConfig({}).queryLimits;
const context = { schema: createSchema(), limits: LIMITS, maxPageSize: 100, protection: queryProtection(LIMITS, { production: true }) };

test('ids: sha256:<hex> and <hex> name the same document; anything else is no sha256 id', () => {
  const id = hex(DOC);
  expect(parseDocumentId(`sha256:${id}`)).toBe(id);
  expect(parseDocumentId(id.toUpperCase())).toBe(id);
  for (const other of [hex(DOC, 'sha1'), `sha1:${id}`, 'Me', `sha256:${id}0`]) expect(parseDocumentId(other)).toBeNull();
});

test("both formats are read: the client preset's map and Apollo's persisted query manifest", () => {
  const other = 'query Perms { viewer { permissions } }';
  const preset = writeManifest({ [`sha256:${hex(DOC)}`]: DOC });
  const apollo = writeManifest({
    format: 'apollo-persisted-query-manifest',
    version: 1,
    operations: [{ id: hex(other), name: 'Perms', type: 'query', body: other }],
  });
  const { entries, problems } = readManifests([preset, apollo]);
  expect(problems).toEqual([]);
  expect(entries.map((e) => [e.id, e.text])).toEqual([
    [hex(DOC), DOC],
    [hex(other), other],
  ]);
});

test('every problem of every manifest is listed at once, each naming the file and the entry', () => {
  const wrongHash = `sha256:${hex('something else')}`;
  const sha1 = hex(DOC, 'sha1');
  const broken = writeManifest({ [wrongHash]: DOC, [sha1]: DOC, [`sha256:${hex('')}`]: '' });
  const unreadable = writeManifest('{ not json');
  const { problems } = readManifests([broken, unreadable, 'no/such/manifest.json']);
  expect(problems).toEqual([
    expect.stringMatching(new RegExp(`manifest\\.json: ${wrongHash}: the id is not the sha256 of its document \\(sha256:${hex(DOC)}\\)$`)),
    expect.stringMatching(new RegExp(`${sha1}: not a sha256 document id`)),
    expect.stringMatching(/: the document is not a non-empty string$/),
    expect.stringMatching(/manifest\.json: is not JSON \(/),
    expect.stringMatching(/^no\/such\/manifest\.json: cannot be read \(ENOENT: no such file/),
  ]);
});

test('loading checks each document as the server would, and lists every refusal with the operation name', () => {
  const invalid = 'query Broken { viewer { nope } }';
  const manifest = writeManifest({ [hex(DOC)]: DOC, [hex(invalid)]: invalid });
  let error: unknown;
  try {
    TrustedDocuments.load([manifest], context);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(TrustedDocumentsError);
  expect((error as TrustedDocumentsError).problems).toEqual([
    `${manifest}: ${hex(invalid)} (Broken): Cannot query field "nope" on type "Viewer".`,
  ]);
  expect(TrustedDocuments.load([writeManifest({ [hex(DOC)]: DOC })], context).text(hex(DOC))).toBe(DOC);
});

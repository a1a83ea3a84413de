/**
 * The numbers a report shows are the numbers the server's rules count: for each document, the
 * measured value passes the rule set to it and fails the rule set one below.
 */
import { parse, validate } from 'graphql';
import { loadConfig } from '../../../src/config.js';
import { checkDocument, type DocumentCheck } from '../../../src/documents/check.js';
import { countTokens, measureDocument } from '../../../src/documents/measure.js';
import { queryProtection } from '../../../src/limits/query-shape.js';
import { createSchema } from '../../../src/schema.js';

const schema = createSchema();
const LIMITS = loadConfig({}).queryLimits;

const DOCUMENTS = {
  inline: '{ viewer { customer { users { customer { name } } } } }',
  fragments: `query A { viewer { ...V } } fragment V on Viewer { customer { ...C } } fragment C on Customer { users { ... on User { customer { name } } } }`,
  aliased: `query B($id: ID!) { a: customer(id: $id) { n: name ...F } b: customer(id: $id) { ...F } } fragment F on Customer { u: users { x: name } }`,
  directives: `query C($x: Boolean!) @skip(if: false) { viewer @include(if: $x) { subject @skip(if: $x) ...V @include(if: true) } } fragment V on Viewer { permissions @skip(if: false) }`,
};

const refusedBy = (text: string, limits: typeof LIMITS) =>
  validate(schema, parse(text), queryProtection(limits, { production: true }).validationRules).map((e) => e.message);

test.each(Object.entries(DOCUMENTS))('%s: depth, aliases and directives are counted as the server counts them', (_name, text) => {
  const measured = measureDocument(parse(text), text);
  for (const [key, limit] of [
    ['depth', 'maxDepth'],
    ['aliases', 'maxAliases'],
    ['directives', 'maxDirectives'],
  ] as const) {
    const value = measured[key];
    expect([key, refusedBy(text, { ...LIMITS, [limit]: value })]).toEqual([key, []]);
    if (value > 0) expect([key, refusedBy(text, { ...LIMITS, [limit]: value - 1 }).length]).toEqual([key, 1]);
  }
});

test('fragments add no depth: the factored query measures like the inline one', () => {
  expect(measureDocument(parse(DOCUMENTS.fragments), DOCUMENTS.fragments).depth).toBe(
    measureDocument(parse(DOCUMENTS.inline), DOCUMENTS.inline).depth,
  );
});

test('tokens are counted as graphql-js counts them for maxTokens (comments excluded)', () => {
  const text = '# a comment\n{ viewer { subject } }';
  const tokens = countTokens(text);
  expect(tokens).toBe(6);
  expect(() => parse(text, { maxTokens: tokens })).not.toThrow();
  expect(() => parse(text, { maxTokens: tokens - 1 })).toThrow(/tokens/);
});

describe('checkDocument', () => {
  const context = { schema, limits: LIMITS, maxPageSize: 100, protection: queryProtection(LIMITS, { production: true }) };

  test('a document the server would run has no problems and its measures', () => {
    const report = checkDocument(DOCUMENTS.aliased, context);
    expect(report).toEqual({
      operations: ['B'],
      measures: { depth: 3, aliases: 7, directives: 0, tokens: expect.any(Number) },
      cost: expect.any(Number),
      problems: [],
    });
  });

  test('a limit refusal carries the measured value and the setting; schema errors are kept as the server words them', () => {
    const tight = {
      ...context,
      limits: { ...LIMITS, maxAliases: 2 },
      protection: queryProtection({ ...LIMITS, maxAliases: 2 }, { production: true }),
    };
    expect(checkDocument(DOCUMENTS.aliased, tight).problems).toEqual([
      'The query uses too many aliases. (aliases 7, limit GRAPHQL_MAX_ALIASES=2)',
    ]);
    expect(checkDocument('{ viewer { nope } }', context).problems).toEqual(['Cannot query field "nope" on type "Viewer".']);
    const long = `{ viewer { ${'subject '.repeat(LIMITS.maxTokens)} } }`;
    expect(checkDocument(long, context).problems[0]).toMatch(
      /^Syntax Error: The query is too large\. \(tokens \d+, limit GRAPHQL_MAX_TOKENS=1000\)$/,
    );
  });

  test('per-document checks (the plug-in point for the cost estimator) add problems and the cost', () => {
    const costly: DocumentCheck = (document) => ({
      cost: document.definitions.length * 100,
      problems: ['The query is too expensive. (cost 300, limit 200)'],
    });
    const report = checkDocument(DOCUMENTS.fragments, context, [costly]);
    expect(report.cost).toBe(300);
    expect(report.problems).toEqual(['The query is too expensive. (cost 300, limit 200)']);
  });

  test('the cost estimate judges a document for any variables a client could send', () => {
    // `first: $n` counts as the largest page, `@skip(if: $s)` as included: the worst a client could ask.
    const pages = `query Pages($id: ID!, $n: Int!, $s: Boolean!) { ${Array.from({ length: 15 }, (_, i) => `a${i}: customer(id: $id) { invoices(first: $n) { edges { node { customer { invoices(first: $n) @skip(if: $s) { edges { node { number } } } } } } } }`).join(' ')} }`;
    const report = checkDocument(pages, context);
    expect(report.problems).toEqual([
      expect.stringMatching(
        /^The query could return more objects than the limit allows\. \(Pages: objects \d+, limit GRAPHQL_MAX_OBJECTS=200000\)$/,
      ),
    ]);
    // The same operation asking for pages of 5 passes, and says what it costs.
    const small = checkDocument(pages.replaceAll('first: $n', 'first: 5').replace(', $n: Int!', ''), context);
    expect(small.problems).toEqual([]);
    expect(small.cost).toBeGreaterThan(0);
  });
});

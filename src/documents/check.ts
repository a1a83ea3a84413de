import { type DocumentNode, type GraphQLSchema, Kind, parse, specifiedRules, validate } from 'graphql';
import type { QueryLimits } from '../config.js';
import { COST_MESSAGES, exceededLimit } from '../limits/cost-plugin.js';
import { estimateCost } from '../limits/cost.js';
import { LIMIT_MESSAGES, type QueryProtection } from '../limits/query-shape.js';
import { type DocumentMeasures, countTokens, measureDocument } from './measure.js';

/**
 * One document checked as the server would check it on a request: parsed with the token limit,
 * validated with the schema's rules and the query-limit rules the server uses (`queryProtection`
 * in src/limits.ts), then through the per-document checks below. Trusted documents are checked
 * at start-up, so a document the server would refuse stops the deploy instead of an SPA page;
 * `npm run check-operations` prints the same report.
 */

/** What a check needs: the schema, the limits and the server's own limit rules. */
export interface DocumentCheckContext {
  readonly schema: GraphQLSchema;
  readonly limits: QueryLimits;
  /** The server's largest page (`MAX_PAGE_SIZE`): the cost estimate clamps page sizes to it. */
  readonly maxPageSize: number;
  readonly protection: Pick<QueryProtection, 'validationRules' | 'parseOptions'>;
}

/** The result of a per-document check: problems (empty when fine) and, for a cost model, the estimate. */
export interface DocumentCheckResult {
  readonly problems: readonly string[];
  readonly cost?: number;
}

/** A check run on every document that parsed and validated. */
export type DocumentCheck = (document: DocumentNode, context: DocumentCheckContext) => DocumentCheckResult;

/**
 * The cost estimate of every operation of the document, for any variables a client could send
 * (src/limits/cost.ts, worst case): a document the server could refuse as QUERY_TOO_COMPLEX
 * for some variables is reported, with the estimate and the limit.
 */
export const costCheck: DocumentCheck = (document, context) => {
  const problems: string[] = [];
  let cost = 0;
  for (const operation of document.definitions) {
    if (operation.kind !== Kind.OPERATION_DEFINITION) continue;
    const estimate = estimateCost(context.schema, document, operation, null, { maxPageSize: context.maxPageSize, worstCase: true });
    if (estimate === undefined) continue;
    cost = Math.max(cost, estimate.cost);
    const exceeded = exceededLimit(estimate, context.limits);
    if (exceeded !== null) {
      const [value, limit, setting] =
        exceeded === 'objects'
          ? [estimate.objects, context.limits.maxObjects, 'GRAPHQL_MAX_OBJECTS']
          : [estimate.cost, context.limits.maxCost, SETTING.cost];
      problems.push(
        `${COST_MESSAGES[exceeded]} (${operation.name?.value ?? '(anonymous)'}: ${exceeded} ${value}, limit ${setting}=${limit})`,
      );
    }
  }
  return { problems, cost };
};

/**
 * Per-document checks beyond the validation rules: every trusted document at start-up and every
 * document `npm run check-operations` reads goes through each check here.
 */
export const DOCUMENT_CHECKS: readonly DocumentCheck[] = [costCheck];

/** The report on one document. */
export interface DocumentReport {
  /** Names of its operations (`(anonymous)` for an unnamed one). */
  readonly operations: readonly string[];
  readonly measures: DocumentMeasures;
  /** From a cost check in `DOCUMENT_CHECKS`; null while there is none. */
  readonly cost: number | null;
  /** Why the server would refuse it; empty when it would run it. */
  readonly problems: readonly string[];
}

// Variable names, so an operator reading a report knows which setting a number belongs to.
const SETTING = {
  depth: 'GRAPHQL_MAX_DEPTH',
  aliases: 'GRAPHQL_MAX_ALIASES',
  directives: 'GRAPHQL_MAX_DIRECTIVES',
  tokens: 'GRAPHQL_MAX_TOKENS',
  cost: 'GRAPHQL_MAX_COST',
} as const;

/** Checks `text` as the server would; see the module comment. */
export function checkDocument(
  text: string,
  context: DocumentCheckContext,
  checks: readonly DocumentCheck[] = DOCUMENT_CHECKS,
): DocumentReport {
  const { limits } = context;
  let document: DocumentNode;
  try {
    document = parse(text, context.protection.parseOptions);
  } catch (error) {
    const tokens = countTokens(text);
    const problem =
      tokens > limits.maxTokens
        ? `${LIMIT_MESSAGES.tokens} (tokens ${tokens}, limit ${SETTING.tokens}=${limits.maxTokens})`
        : error instanceof Error
          ? error.message
          : String(error);
    return { operations: [], measures: { depth: 0, aliases: 0, directives: 0, tokens }, cost: null, problems: [problem] };
  }
  const measures = measureDocument(document, text);
  const operations = document.definitions.flatMap((definition) =>
    definition.kind === Kind.OPERATION_DEFINITION ? [definition.name?.value ?? '(anonymous)'] : [],
  );
  const limitOf: Record<string, [keyof typeof SETTING, number, number]> = {
    [LIMIT_MESSAGES.depth]: ['depth', measures.depth, limits.maxDepth],
    [LIMIT_MESSAGES.aliases]: ['aliases', measures.aliases, limits.maxAliases],
    [LIMIT_MESSAGES.directives]: ['directives', measures.directives, limits.maxDirectives],
  };
  const problems = [
    ...new Set(validate(context.schema, document, [...specifiedRules, ...context.protection.validationRules]).map((e) => e.message)),
  ].map((message) => {
    const limit = limitOf[message];
    return limit ? `${message} (${limit[0]} ${limit[1]}, limit ${SETTING[limit[0]]}=${limit[2]})` : message;
  });
  let cost: number | null = null;
  if (problems.length === 0) {
    for (const check of checks) {
      const result = check(document, context);
      problems.push(...result.problems);
      if (result.cost !== undefined) cost = Math.max(cost ?? 0, result.cost);
    }
  }
  return { operations, measures, cost, problems };
}

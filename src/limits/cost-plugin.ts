import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { QueryTooComplexError } from '../errors.js';
import { costAnnotationProblems, estimateCost, type CostEstimate } from './cost.js';
import { everyRequest } from '../every-request.js';

/**
 * Refuses operations whose cost estimate (src/limits/cost.ts) exceeds a limit, after the
 * operation is resolved and before any resolver runs, and hands the estimate of every other
 * request to `admit` (the execution budget and fair sharing keep what they need of it).
 */

/** The limits and what the estimate needs to know about the server. */
export interface CostLimitOptions {
  /** Largest weighted cost an operation may have. */
  readonly maxCost: number;
  /** Largest number of field values an operation's response may hold. */
  readonly maxObjects: number;
  /** The server's maximum page size (`MAX_PAGE_SIZE`); must be the one the resolvers clamp to. */
  readonly maxPageSize: number;
  /** In production a refusal names the limit it hit, but neither the estimate nor the limit. */
  readonly production: boolean;
}

/**
 * Called with the estimate of every operation within the limits, before anything runs (fair
 * sharing spends it from the caller's bucket): a GraphQLError it throws refuses the request
 * with that error and its HTTP status.
 */
export type AdmitEstimate<TContext> = (estimate: CostEstimate, contextValue: TContext) => void | Promise<void>;

/** Which limit an operation hit; also `extensions.exceeded` of the refusal. */
export type ExceededLimit = 'objects' | 'cost';

/** The messages clients see; they name the limit, never a number. */
export const COST_MESSAGES: Readonly<Record<ExceededLimit, string>> = {
  objects: 'The query could return more objects than the limit allows.',
  cost: 'The query costs more than the limit allows.',
};

// Variable sets remembered per document, and the longest key (operation and variables as JSON) worth remembering.
const MEMO_PER_DOCUMENT = 64;
const MEMO_KEY_MAX = 2048;

/** Builds the cost-limit plugin; it refuses to start on a schema whose lists are not all sized. */
export function costLimitPlugin<TContext extends BaseContext = BaseContext>(
  options: CostLimitOptions,
  admit?: AdmitEstimate<TContext>,
): ApolloServerPlugin<TContext> {
  for (const name of ['maxCost', 'maxObjects'] as const) {
    if (!(options[name] >= 0)) throw new RangeError(`${name} must be a number >= 0, got ${options[name]}`);
  }
  // Estimates of documents seen before (Apollo's document store hands back the same parsed
  // document for the same text), by operation and variables: an SPA sends a handful of
  // operations with a few variable sets, so most requests skip the walk. Bounded per document.
  const memo = new WeakMap<DocumentNode, Map<string, CostEstimate | undefined>>();
  const estimateOnce = (
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Record<string, unknown> | undefined,
  ): CostEstimate | undefined => {
    const key = `${operation.name?.value ?? ''}\u0000${JSON.stringify(variables ?? {})}`;
    const known = key.length <= MEMO_KEY_MAX ? memo.get(document) : undefined;
    if (known?.has(key)) return known.get(key);
    const estimate = estimateCost(schema, document, operation, variables, { maxPageSize: options.maxPageSize }) ?? undefined;
    if (key.length <= MEMO_KEY_MAX) {
      const entries = known ?? new Map<string, CostEstimate | undefined>();
      if (entries.size >= MEMO_PER_DOCUMENT) entries.clear();
      entries.set(key, estimate);
      if (known === undefined) memo.set(document, entries);
    }
    return estimate;
  };
  return {
    async serverWillStart({ schema }) {
      const problems = costAnnotationProblems(schema);
      if (problems.length > 0) throw new Error(`The schema's cost annotations are incomplete:\n- ${problems.join('\n- ')}`);
    },
    ...everyRequest({
      async didResolveOperation(requestContext) {
        const { schema, document, operation, request, contextValue } = requestContext;
        // No operation: Apollo/graphql-js report that themselves, as they do bad variables.
        if (!operation) return;
        const estimate = estimateOnce(schema, document, operation, request.variables);
        if (!estimate) return;
        const exceeded = exceededLimit(estimate, options);
        if (exceeded) throw refusal(exceeded, estimate, options);
        const admitted = admit?.(estimate, contextValue);
        if (admitted instanceof Promise) await admitted;
      },
    }),
  };
}

/** The limit `estimate` exceeds, objects first (the response size), or null when within both. */
export function exceededLimit(estimate: CostEstimate, limits: Pick<CostLimitOptions, 'maxCost' | 'maxObjects'>): ExceededLimit | null {
  if (estimate.objects > limits.maxObjects) return 'objects';
  if (estimate.cost > limits.maxCost) return 'cost';
  return null;
}

function refusal(exceeded: ExceededLimit, estimate: CostEstimate, options: CostLimitOptions): QueryTooComplexError {
  const message = COST_MESSAGES[exceeded];
  if (options.production) return new QueryTooComplexError(message, { exceeded });
  const limit = exceeded === 'objects' ? options.maxObjects : options.maxCost;
  const estimated = exceeded === 'objects' ? estimate.objects : estimate.cost;
  const where = estimate.paths[0] ? ` Costliest: ${estimate.paths[0].path}.` : '';
  return new QueryTooComplexError(`${message} Estimated ${exceeded} ${estimated}, limit ${limit}.${where}`, {
    exceeded,
    cost: estimate.cost,
    objects: estimate.objects,
    limit,
    paths: estimate.paths,
  });
}

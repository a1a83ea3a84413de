import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { GraphQLEnumType, type GraphQLSchema, printType } from 'graphql';
import { applyPolicy, type ApplyOptions } from './authz/apply.js';
import { policy } from './authz/policy.js';
import { applyBudget } from './limits/budget.js';
import { ERROR_CODE_DOCS } from './errors.js';
import { PROJECT_ROOT } from './paths.js';
import type { RequestContext } from './context.js';
import { resolvers } from './resolvers/index.js';

/** Directory of the SDL files, one per domain. */
export const SCHEMA_DIR = join(PROJECT_ROOT, 'schema');

/** The SDL of every file in schema/, in a stable order, plus the `ErrorCode` enum. */
export function loadTypeDefs(dir: string = SCHEMA_DIR): string[] {
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => readFileSync(join(dir, file), 'utf8'));
  return [...files, errorCodeTypeDefs()];
}

/**
 * The `ErrorCode` enum, rendered from `ERROR_CODE_DOCS` so the schema can never disagree with
 * the codes the server sends. No field returns it: it is there for clients, whose generated
 * types then name every code with its meaning.
 */
export function errorCodeTypeDefs(): string {
  const values = Object.fromEntries(
    Object.entries(ERROR_CODE_DOCS).map(([code, doc]) => [code, { description: `${doc.description} HTTP: ${doc.http}.` }]),
  );
  const description =
    'Every value of `extensions.code` in the errors of this API: a closed set, so a client can switch over it exhaustively. Partial results (HTTP 200) keep the data that was allowed; read them with an error policy that keeps data, e.g. Apollo Client `errorPolicy: "all"`.';
  return printType(new GraphQLEnumType({ name: 'ErrorCode', description, values }));
}

/**
 * The schema with its resolvers and the execution budget (list items counted), without
 * authorization: the base the policy is applied to.
 */
export function createSchema(): GraphQLSchema {
  return applyBudget(resolverSchema());
}

/**
 * The schema as shipped: resolvers wrapped by the authorization policy (deny by default), and
 * the execution budget around both. Outermost on purpose: the budget counts and time-slices a
 * list when graphql-js is about to complete it, which is after its rule settled. Inside the
 * policy, a list whose rule was still pending passed its slice check early and was then
 * completed with every other list waiting on the same rule, in one block (50-110 ms for a
 * page of invoices each with its customer's 101 users).
 */
export function createAuthorizedSchema(options: ApplyOptions<RequestContext> = {}): GraphQLSchema {
  return applyBudget(applyPolicy(resolverSchema(), policy, options));
}

/** The type definitions with their resolvers, nothing around them. */
function resolverSchema(): GraphQLSchema {
  return makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers });
}

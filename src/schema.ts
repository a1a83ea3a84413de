import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { applyPolicy, type ApplyOptions } from './authz/apply.js';
import { policy } from './authz/policy.js';
import { applyBudget } from './limits/budget.js';
import { PROJECT_ROOT } from './paths.js';
import type { RequestContext } from './context.js';
import { resolvers } from './resolvers/index.js';

/** Directory of the SDL files, one per domain. */
export const SCHEMA_DIR = join(PROJECT_ROOT, 'schema');

/** The SDL of every file in schema/, in a stable order. */
export function loadTypeDefs(dir: string = SCHEMA_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => readFileSync(join(dir, file), 'utf8'));
}

/**
 * The schema with its resolvers and the execution budget (list items counted), without
 * authorization: the base the policy is applied to.
 */
export function createSchema(): GraphQLSchema {
  return applyBudget(makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers }));
}

/** The schema as shipped: resolvers wrapped by the authorization policy (deny by default). */
export function createAuthorizedSchema(options: ApplyOptions<RequestContext> = {}): GraphQLSchema {
  return applyPolicy(createSchema(), policy, options);
}

import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode } from './errors.js';
import { everyRequest } from './every-request.js';

/**
 * One error per denied field of a list, not one per item: a member reading 50 users' e-mail
 * addresses gets one FORBIDDEN for `customer.users.*.email`, with `extensions.count` (how many
 * paths it stands for) and `extensions.paths` (the first few). The data is untouched: every
 * one of those fields is still null, as GraphQL requires. Only authorization denials are
 * grouped, and only errors that differ in nothing but list indices.
 */

/** How many paths a grouped error lists in `extensions.paths`. */
export const GROUPED_PATHS_SHOWN = 5;

const GROUPED_CODES = new Set<unknown>([ErrorCode.FORBIDDEN, ErrorCode.LICENSE_REQUIRED]);

/** Merges errors that differ only in list indices of their path; order of first occurrence is kept. */
export function groupRepeatedErrors(errors: readonly GraphQLFormattedError[]): GraphQLFormattedError[] {
  const groups = new Map<string, { first: GraphQLFormattedError; paths: (readonly (string | number)[])[]; count: number }>();
  const out: (GraphQLFormattedError | string)[] = [];
  for (const error of errors) {
    const key = groupKey(error);
    if (key === null) {
      out.push(error);
      continue;
    }
    const group = groups.get(key);
    if (group === undefined) {
      groups.set(key, { first: error, paths: [error.path!], count: 1 });
      out.push(key);
    } else {
      group.count++;
      if (group.paths.length < GROUPED_PATHS_SHOWN) group.paths.push(error.path!);
    }
  }
  return out.map((entry) => {
    if (typeof entry !== 'string') return entry;
    const { first, paths, count } = groups.get(entry)!;
    return count === 1 ? first : { ...first, extensions: { ...first.extensions, count, paths } };
  });
}

/** The plugin applying `groupRepeatedErrors` to every single-result response. */
export function groupRepeatedErrorsPlugin(): ApolloServerPlugin<BaseContext> {
  return everyRequest({
    async willSendResponse({ response }) {
      const body = response.body;
      if (body.kind !== 'single' || body.singleResult.errors === undefined || body.singleResult.errors.length < 2) return;
      body.singleResult.errors = groupRepeatedErrors(body.singleResult.errors);
    },
  });
}

// Errors in the same list field (indices aside) with the same code, message and extensions.
function groupKey(error: GraphQLFormattedError): string | null {
  const path = error.path;
  if (path === undefined || !GROUPED_CODES.has(error.extensions?.code) || !path.some((segment) => typeof segment === 'number')) return null;
  const shape = path.map((segment) => (typeof segment === 'number' ? '*' : segment)).join('.');
  return JSON.stringify([shape, error.message, error.extensions]);
}

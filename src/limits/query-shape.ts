import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { type ASTVisitor, GraphQLError, type ParseOptions, type ValidationContext, type ValidationRule } from 'graphql';
import type { QueryLimits } from '../config.js';
import { everyRequest } from '../every-request.js';

/**
 * Query-shape limits: what a single GraphQL document may cost us before anything executes.
 * Depth, aliases and directives are graphql-armor validation rules; the token limit is
 * graphql-js's own `maxTokens` parse option, so an oversized document is abandoned while it
 * is being lexed. Refusals name the limit that was hit, never its value: a client learns it
 * asked for too much, not how much it may ask for.
 */

/** What Apollo Server needs to enforce the limits. */
export interface QueryProtection {
  readonly plugins: ApolloServerPlugin<BaseContext>[];
  readonly validationRules: ValidationRule[];
  readonly parseOptions: ParseOptions;
}

/** The messages clients see; deliberately without numbers. */
export const LIMIT_MESSAGES = {
  depth: 'The query is nested too deeply.',
  aliases: 'The query uses too many aliases.',
  directives: 'The query uses too many directives.',
  tokens: 'Syntax Error: The query is too large.',
} as const;

/**
 * Builds the plugins, validation rules and parse options enforcing `limits`. In production
 * introspection is off, and the rules also measure `__schema` selections instead of skipping
 * them (graphql-armor's `ignoreIntrospection` has been bypassed before through a fragment
 * named `__schema`); in development they skip introspection so Apollo Sandbox works.
 */
export function queryProtection(
  limits: Pick<QueryLimits, 'maxDepth' | 'maxAliases' | 'maxDirectives' | 'maxTokens'>,
  options: { readonly production: boolean },
): QueryProtection {
  const ignoreIntrospection = !options.production;
  const refuse = (message: string) => ({
    // Our own reporter replaces armor's, whose messages spell out the limit and the count.
    propagateOnRejection: false,
    exposeLimits: false,
    onReject: [(context: ValidationContext | null) => context?.reportError(new GraphQLError(message))],
  });
  const armor = new ApolloArmor({
    // Suggestions are stripped by our own plugin below, for every error, not only "Did you mean" fields.
    blockFieldSuggestion: { enabled: false },
    // The token limit is graphql-js's parse option: it stops lexing early and never throws from a plugin.
    maxTokens: { enabled: false },
    // Depth counts fields, not fragment spreads: reusable fragments (what GraphQL Code Generator's
    // client preset encourages) must not cost a level each, or a query passes inline and fails
    // once factored. Flattening is no bypass: the fields inside a fragment still count.
    maxDepth: { n: limits.maxDepth, ignoreIntrospection, flattenFragments: true, ...refuse(LIMIT_MESSAGES.depth) },
    // No allow-list: an alias named `__typename` on another field must count too.
    maxAliases: { n: limits.maxAliases, allowList: [], ...refuse(LIMIT_MESSAGES.aliases) },
    maxDirectives: { n: limits.maxDirectives, ...refuse(LIMIT_MESSAGES.directives) },
    // Cost is estimated after variables are coerced, by our own plugin (cost-plugin.ts).
    costLimit: { enabled: false },
  }).protect();
  return {
    // armor's only plugins (suggestions, tokens) are disabled above: its rules are all we use.
    plugins: [errorHygiene({ stripSuggestions: options.production })],
    validationRules: [noSubscriptions, ...armor.validationRules],
    parseOptions: { maxTokens: limits.maxTokens },
  };
}

const TOKEN_LIMIT = /^Syntax Error: Document contains more th\w* \d+ tokens/;
const SUGGESTION = / ?Did you mean [^?]*\?/g;

/**
 * Rewrites error messages before they are formatted: the token-limit parse error loses its
 * number, and (in production) every "Did you mean ...?" suggestion is removed, including the
 * ones Apollo's `hideSchemaDetailsFromClientErrors` leaves in variable-coercion errors.
 */
function errorHygiene(options: { readonly stripSuggestions: boolean }): ApolloServerPlugin<BaseContext> {
  return everyRequest({
    async didEncounterErrors({ errors }) {
      for (const error of errors) {
        if (TOKEN_LIMIT.test(error.message)) error.message = LIMIT_MESSAGES.tokens;
        else if (options.stripSuggestions) error.message = error.message.replace(SUGGESTION, '');
      }
    },
  });
}

/** The message of a subscription operation (this API serves queries and mutations over HTTP). */
export const NO_SUBSCRIPTIONS = 'This API has no subscriptions: send a query or a mutation.';

/**
 * Refuses subscription operations while validating, so they get a clear validation error
 * instead of failing inside execution (which would read as an internal error).
 */
export function noSubscriptions(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(node) {
      if (node.operation === 'subscription') context.reportError(new GraphQLError(NO_SUBSCRIPTIONS, { nodes: node }));
    },
  };
}

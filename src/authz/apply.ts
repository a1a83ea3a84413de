import { defaultFieldResolver, getNamedType, isIntrospectionType, isNonNullType, isObjectType, responsePathAsArray, type GraphQLFieldResolver, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { deny } from 'graphql-shield';
import { BffError, ForbiddenError, NotFoundError } from '../errors.js';
import { describeRule } from './describe.js';
import { evaluate, isThenable, ruleKind, type IRule, type MaybeVerdict, type RuleCache, type Verdict } from './engine.js';

/**
 * The lean rule path: graphql-shield rules applied without graphql-shield's per-field async
 * middleware. Only fields whose rule is not `allow` are wrapped; request-level rules are
 * memoised per request and read synchronously after their first evaluation; object-level
 * (ownership) rules run once per object, where the object enters the response.
 */

/** The authorization policy: field rules plus per-type visibility (ownership) rules. */
export interface Policy {
  /** Type → field → rule. A field missing here is denied. */
  readonly fields: Readonly<Record<string, Readonly<Record<string, IRule>>>>;
  /**
   * Type → rule deciding whether an object of that type may appear at all. Applied to every
   * field returning the type: a hidden object is dropped from lists and reads as null,
   * exactly like one that does not exist.
   */
  readonly visibility: Readonly<Record<string, IRule>>;
}

/** One authorization decision that withheld something, for the decision log. */
export interface Denial {
  readonly path: string;
  readonly field: string;
  readonly rule: string;
  readonly reason: string;
  readonly kind: 'field' | 'visibility';
}

/** What the lean path needs from the per-request context. */
export interface AuthzContext {
  readonly authz: RuleCache;
}

/** Options for `applyPolicy`. */
export interface ApplyOptions<C extends AuthzContext> {
  /** Called once per denial (the decision log). */
  readonly onDenial?: (ctx: C, denial: Denial) => void;
}

/** Wraps the schema's resolvers in place with the policy; returns the schema for chaining. */
export function applyPolicy<C extends AuthzContext>(schema: GraphQLSchema, policy: Policy, options: ApplyOptions<C> = {}): GraphQLSchema {
  const onDenial = options.onDenial ?? (() => {});
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || isIntrospectionType(type)) continue;
    const rules = policy.fields[type.name] ?? {};
    for (const field of Object.values(type.getFields())) {
      const rule = rules[field.name] ?? deny;
      const visibility = policy.visibility[getNamedType(field.type).name];
      const resolve = (field.resolve ?? defaultFieldResolver) as GraphQLFieldResolver<unknown, C>;
      const coordinate = `${type.name}.${field.name}`;
      let wrapped = resolve;
      if (visibility !== undefined) wrapped = withVisibility(wrapped, visibility, isNonNullType(field.type), coordinate, onDenial);
      if (ruleKind(rule) !== 'allow') wrapped = withRule(wrapped, rule, coordinate, onDenial);
      field.resolve = wrapped;
    }
  }
  return schema;
}

function withRule<C extends AuthzContext>(resolve: GraphQLFieldResolver<unknown, C>, rule: IRule, coordinate: string, onDenial: (ctx: C, d: Denial) => void): GraphQLFieldResolver<unknown, C> {
  const description = describeRule(rule);
  const refuse = (verdict: Verdict, ctx: C, info: GraphQLResolveInfo): Error => {
    const error = toClientError(verdict);
    onDenial(ctx, { path: pathOf(info), field: coordinate, rule: description, reason: reasonOf(error), kind: 'field' });
    return error;
  };
  return (parent, args, ctx, info) => {
    const verdict = evaluate(rule, parent, args, ctx, info);
    if (verdict === true) return resolve(parent, args, ctx, info);
    if (verdict instanceof Promise) {
      return verdict.then((settled) => (settled === true ? resolve(parent, args, ctx, info) : refuse(settled, ctx, info)));
    }
    return refuse(verdict, ctx, info);
  };
}

function withVisibility<C extends AuthzContext>(resolve: GraphQLFieldResolver<unknown, C>, rule: IRule, nonNull: boolean, coordinate: string, onDenial: (ctx: C, d: Denial) => void): GraphQLFieldResolver<unknown, C> {
  const description = describeRule(rule);
  const hidden = (ctx: C, info: GraphQLResolveInfo, verdict: Verdict) =>
    onDenial(ctx, { path: pathOf(info), field: coordinate, rule: description, reason: verdict instanceof Error ? verdict.message : 'not visible', kind: 'visibility' });

  const check = (value: unknown, ctx: C, info: GraphQLResolveInfo): unknown => {
    if (value === null || value === undefined || value instanceof Error) return value;
    if (Array.isArray(value)) return filterList(value, ctx, info);
    return then(evaluate(rule, value, {}, ctx, info), (verdict) => {
      if (verdict === true) return value;
      hidden(ctx, info, verdict);
      // Ownership could not be established (e.g. the customer API is down): still hidden,
      // but the client learns why instead of seeing a silent null.
      if (verdict instanceof BffError) return verdict;
      // A non-null field cannot read as null; it reads as "not found", never as "forbidden".
      return nonNull ? new NotFoundError('Object') : null;
    });
  };

  const filterList = (items: unknown[], ctx: C, info: GraphQLResolveInfo): unknown => {
    const verdicts: MaybeVerdict[] = items.map((item) => (item === null || item === undefined ? true : evaluate(rule, item, {}, ctx, info)));
    const keep = (settled: Verdict[]) => {
      const failure = settled.find((v): v is BffError => v instanceof BffError);
      if (failure !== undefined) {
        hidden(ctx, info, failure);
        return failure;
      }
      const kept = items.filter((_, index) => settled[index] === true);
      if (kept.length !== items.length) hidden(ctx, info, settled.find((v) => v !== true) ?? false);
      return kept;
    };
    return verdicts.some((v) => v instanceof Promise) ? Promise.all(verdicts).then(keep) : keep(verdicts as Verdict[]);
  };

  return (parent, args, ctx, info) => {
    const value = resolve(parent, args, ctx, info);
    return isThenable(value) ? Promise.resolve(value).then((settled) => check(settled, ctx, info)) : check(value, ctx, info);
  };
}

function then<T>(verdict: MaybeVerdict, next: (verdict: Verdict) => T): T | Promise<T> {
  return verdict instanceof Promise ? verdict.then(next) : next(verdict);
}

/** Only our own typed errors reach clients; anything else a rule returned becomes FORBIDDEN. */
function toClientError(verdict: Verdict): Error {
  return verdict instanceof BffError ? verdict : new ForbiddenError();
}

function reasonOf(error: Error): string {
  return error instanceof BffError ? String(error.extensions.code) : 'FORBIDDEN';
}

/** `customer.invoices.edges.3.node` */
export function pathOf(info: GraphQLResolveInfo): string {
  return responsePathAsArray(info.path).join('.');
}

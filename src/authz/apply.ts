import {
  defaultFieldResolver,
  getNamedType,
  isIntrospectionType,
  isNonNullType,
  isObjectType,
  responsePathAsArray,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import { deny } from 'graphql-shield';
import { BffError, ForbiddenError, locatedAt, NotFoundError } from '../errors.js';
import { describeRule } from './describe.js';
import { compileRule, isRequestConstant, isThenable, type MaybeVerdict, type RuleCache, type Verdict } from './engine.js';
import { ruleKind, type IRule } from './shield-rules.js';
import { validatePolicy } from './validate.js';

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
  /**
   * A view of the request whose reads can be taken back: a read field whose rule must wait
   * for data runs its resolver at once through this view, and `discard` forgets what it
   * loaded if the rule then denies. Absent: such reads wait for their rules.
   */
  speculate?(): Speculation;
}

/** A read started before its rule decided, and the way to take it back. */
export interface Speculation {
  /** The request context the early resolver runs with. */
  readonly context: unknown;
  /** Forgets what the early read loaded (it is never returned, logged or reused). */
  discard(): void;
}

/** Options for `applyPolicy`. */
export interface ApplyOptions<C extends AuthzContext> {
  /** Called once per denial (the decision log). */
  readonly onDenial?: (ctx: C, denial: Denial) => void;
  /**
   * Called when a decision has to wait for data (tracing): returns what to call with the
   * outcome (`allowed`, or the denial's reason), or null to watch nothing. Never called for
   * decisions taken synchronously, which are most of them.
   */
  readonly onWait?: (ctx: C, rule: string, coordinate: string) => ((outcome: string) => void) | null;
}

type OnWait<C> = NonNullable<ApplyOptions<C & AuthzContext>['onWait']>;

/**
 * Wraps the schema's resolvers in place with the policy; returns the schema for chaining.
 * Throws a `PolicyError` (before wrapping anything) for whatever `shield()` would refuse or
 * the engine does not support (see validate.ts).
 */
export function applyPolicy<C extends AuthzContext>(schema: GraphQLSchema, policy: Policy, options: ApplyOptions<C> = {}): GraphQLSchema {
  validatePolicy(schema, policy, options);
  const onDenial = options.onDenial ?? (() => {});
  const onWait: OnWait<C> = options.onWait ?? (() => null);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || isIntrospectionType(type)) continue;
    const rules = policy.fields[type.name] ?? {};
    for (const field of Object.values(type.getFields())) {
      const rule = rules[field.name] ?? deny;
      const visibility = policy.visibility[getNamedType(field.type).name];
      const resolve = (field.resolve ?? defaultFieldResolver) as GraphQLFieldResolver<unknown, C>;
      const coordinate = `${type.name}.${field.name}`;
      let wrapped = resolve;
      if (visibility !== undefined) wrapped = withVisibility(wrapped, visibility, isNonNullType(field.type), coordinate, onDenial, onWait);
      // Reads may start before a rule that waits for data has decided; writes never do.
      const speculative = type !== schema.getMutationType();
      if (ruleKind(rule) !== 'allow') wrapped = withRule(wrapped, rule, coordinate, onDenial, onWait, speculative);
      field.resolve = wrapped;
    }
  }
  return schema;
}

/**
 * True when `typeName.fieldName` is denied to this request whatever object it is read on: its
 * rule depends on the request alone (permissions, support staff: `contextual` leaves and logic
 * over them) and says no. Evaluated exactly as execution evaluates it, and memoised in the
 * request's rule cache the same way. False when the rule waits for data (ownership,
 * entitlements) or allows. Used to tell what a caller can read of an operation before it runs.
 */
export function deniedUpfront(policy: Policy, typeName: string, fieldName: string, ctx: AuthzContext): boolean {
  const rule = policy.fields[typeName]?.[fieldName] ?? deny;
  if (!isRequestConstant(rule)) return false;
  // A request-constant rule reads neither parent, arguments nor info (shield's `contextual`).
  const verdict = compileRule(rule)(undefined, NO_ARGS, ctx, undefined as unknown as GraphQLResolveInfo);
  return verdict !== true && !(verdict instanceof Promise);
}

function withRule<C extends AuthzContext>(
  resolve: GraphQLFieldResolver<unknown, C>,
  rule: IRule,
  coordinate: string,
  onDenial: (ctx: C, d: Denial) => void,
  onWait: OnWait<C>,
  speculative: boolean,
): GraphQLFieldResolver<unknown, C> {
  const description = describeRule(rule);
  const check = compileRule(rule);
  const refuse = (verdict: Verdict, ctx: C, info: GraphQLResolveInfo): Error => {
    const error = toClientError(verdict);
    onDenial(ctx, { path: pathOf(info), field: coordinate, rule: description, reason: reasonOf(error), kind: 'field' });
    return located(error, info);
  };
  return (parent, args, ctx, info) => {
    const verdict = check(parent, args, ctx, info);
    if (verdict === true) return resolve(parent, args, ctx, info);
    if (verdict instanceof Promise) {
      const waited = onWait(ctx, description, coordinate);
      const decided = (settled: Verdict) => waited?.(settled === true ? 'allowed' : reasonOf(toClientError(settled)));
      const speculation = speculative ? ctx.speculate?.() : undefined;
      if (speculation === undefined) {
        return verdict.then((settled) => {
          decided(settled);
          return settled === true ? resolve(parent, args, ctx, info) : refuse(settled, ctx, info);
        });
      }
      // The read goes out now, alongside the rule's own lookups, instead of one round trip
      // after them. Its outcome is only ever handed to GraphQL if the rule allows.
      const early = startEarly(() => resolve(parent, args, speculation.context as C, info));
      return verdict.then((settled) => {
        decided(settled);
        if (settled === true) return early;
        speculation.discard();
        return refuse(settled, ctx, info);
      });
    }
    return refuse(verdict, ctx, info);
  };
}

/**
 * Runs a resolver ahead of its rule. A failure is kept for when (if) the rule allows: it
 * must not surface as an unhandled rejection, nor be logged, when the rule denies.
 */
function startEarly(run: () => unknown): unknown {
  let value: unknown;
  try {
    value = run();
  } catch (error) {
    value = Promise.reject(error);
  }
  if (isThenable(value)) {
    const promise = Promise.resolve(value);
    promise.catch(() => {});
    return promise;
  }
  return value;
}

// Visibility rules get no field arguments: one shared, frozen empty object instead of a
// fresh `{}` for each of the thousands of objects a list can hold.
const NO_ARGS: Record<string, unknown> = Object.freeze({});

function withVisibility<C extends AuthzContext>(
  resolve: GraphQLFieldResolver<unknown, C>,
  rule: IRule,
  nonNull: boolean,
  coordinate: string,
  onDenial: (ctx: C, d: Denial) => void,
  onWait: OnWait<C>,
): GraphQLFieldResolver<unknown, C> {
  const description = describeRule(rule);
  const visible = compileRule(rule);
  const hidden = (ctx: C, info: GraphQLResolveInfo, verdict: Verdict) =>
    onDenial(ctx, {
      path: pathOf(info),
      field: coordinate,
      rule: description,
      reason: verdict instanceof Error ? verdict.message : 'not visible',
      kind: 'visibility',
    });

  const decide = (value: unknown, verdict: Verdict, ctx: C, info: GraphQLResolveInfo): unknown => {
    if (verdict === true) return value;
    hidden(ctx, info, verdict);
    // Ownership could not be established (e.g. the customer API is down): still hidden,
    // but the client learns why instead of seeing a silent null.
    if (verdict instanceof BffError) return located(verdict, info);
    // A non-null field cannot read as null; it reads as "not found", never as "forbidden".
    return nonNull ? located(OBJECT_NOT_FOUND, info) : null;
  };

  const check = (value: unknown, ctx: C, info: GraphQLResolveInfo): unknown => {
    if (value === null || value === undefined || value instanceof Error) return value;
    if (Array.isArray(value)) return filterList(value, ctx, info);
    const verdict = visible(value, NO_ARGS, ctx, info);
    if (verdict === true) return value;
    if (!(verdict instanceof Promise)) return decide(value, verdict, ctx, info);
    const waited = onWait(ctx, description, coordinate);
    return verdict.then((settled) => {
      waited?.(settled === true ? 'visible' : 'hidden');
      return decide(value, settled, ctx, info);
    });
  };

  const keep = (items: readonly unknown[], settled: readonly Verdict[], ctx: C, info: GraphQLResolveInfo): unknown => {
    const failure = settled.find((v): v is BffError => v instanceof BffError);
    if (failure !== undefined) {
      hidden(ctx, info, failure);
      return located(failure, info);
    }
    const kept = items.filter((_, index) => settled[index] === true);
    if (kept.length !== items.length) hidden(ctx, info, settled.find((v) => v !== true) ?? false);
    return kept;
  };

  const filterList = (items: readonly unknown[], ctx: C, info: GraphQLResolveInfo): unknown => {
    // Verdicts are only collected once one is not a plain `true`: a list of visible objects
    // (the common case) is returned as it is, without a copy.
    let verdicts: MaybeVerdict[] | undefined;
    let pending = false;
    for (let index = 0; index < items.length; index++) {
      const item = items[index];
      const verdict = item === null || item === undefined ? true : visible(item, NO_ARGS, ctx, info);
      if (verdict !== true && verdicts === undefined) verdicts = new Array<MaybeVerdict>(index).fill(true);
      if (verdicts !== undefined) verdicts.push(verdict);
      if (verdict instanceof Promise) pending = true;
    }
    if (verdicts === undefined) return items;
    if (!pending) return keep(items, verdicts as Verdict[], ctx, info);
    const waited = onWait(ctx, description, coordinate);
    return Promise.all(verdicts).then((settled) => {
      waited?.(settled.every((v) => v === true) ? 'visible' : 'some hidden');
      return keep(items, settled, ctx, info);
    });
  };

  return (parent, args, ctx, info) => {
    const value = resolve(parent, args, ctx, info);
    if (value instanceof Promise) return value.then((settled) => check(settled, ctx, info));
    return isThenable(value) ? Promise.resolve(value).then((settled) => check(settled, ctx, info)) : check(value, ctx, info);
  };
}

// What a client reads for a plain "no" and for a hidden non-null object. Never handed to
// graphql-js themselves: each field gets its own located copy (`located`), so one of each is
// built, not one per denied field on top of the copy.
const FORBIDDEN = new ForbiddenError();
const OBJECT_NOT_FOUND = new NotFoundError('Object');

/** Only our own typed errors reach clients; anything else a rule returned becomes FORBIDDEN. */
function toClientError(verdict: Verdict): BffError {
  return verdict instanceof BffError ? verdict : FORBIDDEN;
}

/** The error at this field, located once (see `locatedAt`): graphql-js then uses it as it is. */
function located(error: BffError, info: GraphQLResolveInfo): BffError {
  return locatedAt(error, info.fieldNodes, responsePathAsArray(info.path));
}

function reasonOf(error: Error): string {
  return error instanceof BffError ? String(error.extensions.code) : 'FORBIDDEN';
}

/** `customer.invoices.edges.3.node` */
export function pathOf(info: GraphQLResolveInfo): string {
  return responsePathAsArray(info.path).join('.');
}

import { makeExecutableSchema } from '@graphql-tools/schema';
import { execute, parse, type ExecutionResult, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { allow, and, chain, deny, inputRule, not, or, race, rule, shield } from 'graphql-shield';
import { applyPolicy } from '../../../src/authz/apply.js';
import { evaluate, RuleCache, type Verdict } from '../../../src/authz/engine.js';
import type { IRule } from '../../../src/authz/shield-rules.js';
import { ForbiddenError, NotFoundError } from '../../../src/errors.js';
import { describeVerdict, shieldVerdict } from '../../helpers/rule-trees.js';

/**
 * graphql-shield 7.6's documented semantics, written once and run against BOTH engines:
 * stock graphql-shield (`rule.resolve` with a per-request `ctx._shield.cache` and its default
 * object-hash, and real `shield()` middleware over a tiny schema) and the lean engine
 * (`evaluate` with a `RuleCache`, and `applyPolicy` over the same schema). Every expectation
 * below is what shield's source does (node_modules/graphql-shield/esm/rules.js); the lean
 * engine passes only if it does the same.
 */

/** Request state the rules read as `ctx.state`; tests change it between evaluations. */
type State = Record<string, unknown>;
type Ctx = { state: State };
type Resolvers = Record<string, Record<string, (...args: never[]) => unknown>>;
type RuleMap = Record<string, Record<string, IRule>>;

interface Request {
  readonly state: State;
  /** The verdict of `rule` for one field of this request. */
  verdict(rule: IRule, parent?: unknown, args?: Record<string, unknown>): Promise<Verdict>;
}

interface Engine {
  readonly name: string;
  /** A fresh request (fresh rule cache). */
  request(state?: State): Request;
  /** `rules` applied to a fresh schema built from `typeDefs` and `resolvers`, denying fields without a rule. */
  protect(typeDefs: string, resolvers: Resolvers, rules: RuleMap): GraphQLSchema;
  /** Runs `query` as one request with `state`. */
  run(schema: GraphQLSchema, query: string, state?: State): Promise<ExecutionResult>;
}

const info = {} as GraphQLResolveInfo;

const stockShield: Engine = {
  name: 'graphql-shield 7.6.5',
  request(state = {}) {
    const ctx = { state, _shield: { cache: {} } };
    return { state, verdict: (node, parent = undefined, args = {}) => shieldVerdict(node, parent, ctx, args) };
  },
  protect(typeDefs, resolvers, rules) {
    const permissions = shield(rules, { fallbackRule: deny, fallbackError: () => new ForbiddenError() });
    return applyMiddleware(makeExecutableSchema({ typeDefs, resolvers }), permissions);
  },
  run: (schema, query, state = {}) => Promise.resolve(execute({ schema, document: parse(query), contextValue: { state } })),
};

const leanEngine: Engine = {
  name: 'lean engine',
  request(state = {}) {
    const ctx = { state, authz: new RuleCache() };
    return { state, verdict: async (node, parent = undefined, args = {}) => evaluate(node, parent, args, ctx, info) };
  },
  protect(typeDefs, resolvers, rules) {
    return applyPolicy(makeExecutableSchema({ typeDefs, resolvers }), { fields: rules, visibility: {} });
  },
  run: (schema, query, state = {}) =>
    Promise.resolve(execute({ schema, document: parse(query), contextValue: { state, authz: new RuleCache() } })),
};

/** A rule with a call counter. */
function counted(
  name: string,
  cache: Parameters<typeof rule>[1],
  body: (parent: unknown, args: Record<string, unknown>, ctx: Ctx) => unknown,
) {
  let calls = 0;
  const counting = rule(
    name,
    cache,
  )((parent: unknown, args: Record<string, unknown>, ctx: Ctx) => {
    calls++;
    return body(parent, args, ctx) as never;
  });
  return { rule: counting, calls: () => calls };
}

const text = (verdict: Verdict) => describeVerdict(verdict);

/** Errors of a response as [path, code (our typed errors) or message]. */
function errorsOf(result: ExecutionResult): [string, unknown][] {
  return (result.errors ?? []).map((e) => [e.path?.join('.') ?? '', e.extensions.code ?? e.message]);
}

const CACHES = ['no_cache', 'contextual', 'strict'] as const;

describe.each([stockShield, leanEngine])('$name', (engine) => {
  describe('what a rule function returns', () => {
    // Rule.resolve: true allows; an Error is returned as it is; a string becomes an Error with
    // that message (even '' and 'true'); anything else, a throw or a rejection denies.
    const custom = new Error('custom');
    test.each<[string, unknown, string]>([
      ['true', true, 'true'],
      ['false', false, 'false'],
      ['undefined', undefined, 'false'],
      ['null', null, 'false'],
      ['0', 0, 'false'],
      ['NaN', Number.NaN, 'false'],
      ['1', 1, 'false'],
      ['an object', {}, 'false'],
      ["the string 'true'", 'true', 'Error(true)'],
      ['a string', 'Not yours', 'Error(Not yours)'],
      ['an empty string', '', 'Error()'],
      ['an Error', custom, 'Error(custom)'],
    ])('%s, synchronously or from a promise, under every cache mode', async (_label, result, expected) => {
      for (const cache of CACHES) {
        const request = engine.request();
        expect(text(await request.verdict(rule(`sync ${cache}`, { cache })(() => result as never)))).toBe(expected);
        expect(text(await request.verdict(rule(`async ${cache}`, { cache })(async () => result as never)))).toBe(expected);
      }
    });

    test('a returned Error is the verdict itself, not a copy', async () => {
      const custom = new Error('custom');
      expect(await engine.request().verdict(rule('returns error')(() => custom))).toBe(custom);
    });

    test('a throw or a rejection denies (false), it does not fail the request', async () => {
      const request = engine.request();
      const throws = rule('throws')(() => {
        throw new Error('bug');
      });
      const rejects = rule('rejects')(() => Promise.reject(new Error('down')));
      expect(await request.verdict(throws)).toBe(false);
      expect(await request.verdict(rejects)).toBe(false);
      expect(await request.verdict(or(throws, allow))).toBe(true);
    });
  });

  describe('logic rules', () => {
    const yes = rule('yes')(() => true);
    const no = rule('no')(() => false);
    const first = rule('first error')(() => new Error('first'));
    const second = rule('second error')(async () => 'second');

    test('allow and deny', async () => {
      const request = engine.request();
      expect(await request.verdict(allow)).toBe(true);
      expect(await request.verdict(deny)).toBe(false);
    });

    test('and: true when every rule is; otherwise the first error in declaration order, else false', async () => {
      const request = engine.request();
      expect(await request.verdict(and(yes, allow, yes))).toBe(true);
      expect(await request.verdict(and(yes, no))).toBe(false);
      expect(text(await request.verdict(and(no, second, first)))).toBe('Error(second)');
      expect(text(await request.verdict(and(first, second)))).toBe('Error(first)');
    });

    test('or: true when any rule is; otherwise the first error in declaration order, else false', async () => {
      const request = engine.request();
      expect(await request.verdict(or(no, second, yes))).toBe(true);
      expect(await request.verdict(or(no, deny))).toBe(false);
      expect(text(await request.verdict(or(no, second, first)))).toBe('Error(second)');
    });

    test('and / or evaluate every rule, even once the answer is known', async () => {
      const after = counted('after', { cache: 'no_cache' }, () => true);
      const request = engine.request();
      await request.verdict(and(no, after.rule));
      await request.verdict(or(yes, after.rule));
      expect(after.calls()).toBe(2);
    });

    test('chain: rules in order, stopping at the first that is not true, whose error it answers', async () => {
      const after = counted('after chain', { cache: 'no_cache' }, () => true);
      const request = engine.request();
      expect(await request.verdict(chain(yes, allow, after.rule))).toBe(true);
      expect(text(await request.verdict(chain(yes, second, after.rule)))).toBe('Error(second)');
      expect(await request.verdict(chain(no, first, after.rule))).toBe(false);
      expect(after.calls()).toBe(1);
    });

    test('race: rules in order, stopping at the first true; with none, the LAST error met, else false', async () => {
      const after = counted('after race', { cache: 'no_cache' }, () => true);
      const request = engine.request();
      expect(await request.verdict(race(no, yes, after.rule))).toBe(true);
      expect(after.calls()).toBe(0);
      expect(text(await request.verdict(race(first, no, second)))).toBe('Error(second)');
      expect(await request.verdict(race(no, deny))).toBe(false);
    });

    test('not: true for false, an error or a throw; false (or the custom error) for true', async () => {
      const request = engine.request();
      const throws = rule('throws in not')(() => {
        throw new Error('bug');
      });
      expect(await request.verdict(not(no))).toBe(true);
      expect(await request.verdict(not(first))).toBe(true);
      expect(await request.verdict(not(throws))).toBe(true);
      expect(await request.verdict(not(yes))).toBe(false);
      expect(text(await request.verdict(not(yes, new Error('custom not'))))).toBe('Error(custom not)');
      expect(text(await request.verdict(not(yes, 'string not')))).toBe('Error(string not)');
      expect(await request.verdict(not(no, 'string not'))).toBe(true);
    });

    test('empty logic rules: and and chain allow, or and race deny', async () => {
      const request = engine.request();
      expect(await request.verdict(and())).toBe(true);
      expect(await request.verdict(chain())).toBe(true);
      expect(await request.verdict(or())).toBe(false);
      expect(await request.verdict(race())).toBe(false);
    });

    test('nested, with synchronous and asynchronous rules mixed', async () => {
      const later = rule('later')(async () => true);
      const request = engine.request();
      expect(await request.verdict(or(and(later, deny), not(chain(later, no))))).toBe(true);
      expect(text(await request.verdict(and(later, or(no, second), not(later, 'nested not'))))).toBe('Error(second)');
    });
  });

  describe('cache modes', () => {
    test('no_cache: the rule runs on every evaluation', async () => {
      const r = counted('no cache', { cache: 'no_cache' }, () => true);
      const request = engine.request();
      for (let i = 0; i < 3; i++) await request.verdict(r.rule, { id: 'a' });
      expect(r.calls()).toBe(3);
    });

    test('contextual: a kept result is shared by every parent and argument of the request, and not by the next request', async () => {
      const r = counted('contextual', { cache: 'contextual' }, (parent) => parent === 'a');
      const request = engine.request();
      expect(await request.verdict(r.rule, 'a')).toBe(true);
      expect(await request.verdict(r.rule, 'b', { other: 1 })).toBe(true);
      expect(r.calls()).toBe(1);
      expect(await engine.request().verdict(r.rule, 'b')).toBe(false);
      expect(r.calls()).toBe(2);
    });

    test('strict: one entry per primitive parent (ids), so an answer for one id is not reused for another', async () => {
      const isOwner = counted('is owner', { cache: 'strict' }, (id, _args, ctx) => (ctx.state.owned as string[]).includes(String(id)));
      const request = engine.request({ owned: ['a'] });
      expect(await request.verdict(isOwner.rule, 'a')).toBe(true);
      expect(await request.verdict(isOwner.rule, 'b')).toBe(false);
      expect(await request.verdict(isOwner.rule, 'a')).toBe(true);
      expect(isOwner.calls()).toBe(2);
    });

    test('strict: 1 and "1" are different parents; deep-equal objects are the same (object-hash)', async () => {
      const r = counted('strict values', { cache: 'strict' }, () => true);
      const request = engine.request();
      await request.verdict(r.rule, 1);
      await request.verdict(r.rule, '1');
      await request.verdict(r.rule, { id: 'a', n: [1, 2] });
      await request.verdict(r.rule, { n: [1, 2], id: 'a' });
      expect(r.calls()).toBe(3);
    });

    test('strict: a parent object changed in place is a new entry', async () => {
      const r = counted('strict mutated', { cache: 'strict' }, (parent) => (parent as { open: boolean }).open);
      const request = engine.request();
      const parent = { open: true };
      expect(await request.verdict(r.rule, parent)).toBe(true);
      parent.open = false;
      expect(await request.verdict(r.rule, parent)).toBe(false);
    });

    test('strict: arguments JSON cannot tell apart (symbol enum values, Maps, undefined keys) are told apart', async () => {
      const r = counted('strict args', { cache: 'strict' }, () => true);
      const request = engine.request();
      const argsList = [
        { role: Symbol('ADMIN') },
        { role: Symbol('USER') },
        { filter: new Map([['status', 'open']]) },
        { filter: new Map([['status', 'paid']]) },
        {},
        { id: undefined },
      ];
      for (const args of argsList) await request.verdict(r.rule, undefined, args);
      expect(r.calls()).toBe(argsList.length);
      for (const args of argsList) await request.verdict(r.rule, undefined, args);
      expect(r.calls()).toBe(argsList.length);
    });

    test('strict: BigInt and circular arguments are keyed, never thrown on', async () => {
      const r = counted('strict bigint', { cache: 'strict' }, (_p, args) => args.n !== 2n);
      const request = engine.request();
      const node: Record<string, unknown> = { id: 'n' };
      node.self = node;
      expect(await request.verdict(r.rule, undefined, { n: 1n })).toBe(true);
      expect(await request.verdict(r.rule, undefined, { n: 2n })).toBe(false);
      expect(await request.verdict(r.rule, undefined, { node })).toBe(true);
      expect(await request.verdict(r.rule, undefined, { node })).toBe(true);
      expect(r.calls()).toBe(3);
    });

    test('strict: arguments object-hash cannot hash (a Promise) fail that rule only', async () => {
      const r = counted('strict unhashable', { cache: 'strict' }, () => true);
      const request = engine.request();
      const args = { pending: Promise.resolve(1) };
      expect(await request.verdict(r.rule, undefined, args)).toBe(false);
      expect(await request.verdict(or(r.rule, allow), undefined, args)).toBe(true);
      expect(r.calls()).toBe(0);
    });

    test('cache-key function: one entry per key, whatever the parent', async () => {
      const r = counted('keyed', { cache: (parent: { customer: string }) => parent.customer }, (parent) => {
        return (parent as { customer: string }).customer === 'c1';
      });
      const request = engine.request();
      expect(await request.verdict(r.rule, { id: 1, customer: 'c1' })).toBe(true);
      expect(await request.verdict(r.rule, { id: 2, customer: 'c1' })).toBe(true);
      expect(await request.verdict(r.rule, { id: 3, customer: 'c2' })).toBe(false);
      expect(r.calls()).toBe(2);
    });

    test('a cache-key function that throws, or answers a symbol, fails that rule only', async () => {
      const throwing = counted(
        'broken key',
        {
          cache: () => {
            throw new Error('key bug');
          },
        },
        () => true,
      );
      const symbolic = counted('symbol key', { cache: (() => Symbol('k')) as never }, () => true);
      const request = engine.request();
      expect(await request.verdict(throwing.rule)).toBe(false);
      expect(await request.verdict(or(throwing.rule, allow))).toBe(true);
      expect(await request.verdict(symbolic.rule)).toBe(false);
      expect(await request.verdict(or(symbolic.rule, allow))).toBe(true);
      expect(throwing.calls() + symbolic.calls()).toBe(0);
    });

    test('cache: true means strict, false means no_cache', async () => {
      const strict = counted('legacy strict', { cache: true }, () => true);
      const none = counted('legacy none', { cache: false }, () => true);
      const request = engine.request();
      for (const parent of ['a', 'a', 'b']) {
        await request.verdict(strict.rule, parent);
        await request.verdict(none.rule, parent);
      }
      expect(strict.calls()).toBe(2);
      expect(none.calls()).toBe(3);
    });

    test('a cache mode shield does not know denies on every evaluation without running the rule', async () => {
      const bogus = counted('bogus cache', { cache: 'per-request' as never }, () => true);
      const request = engine.request();
      expect(await request.verdict(bogus.rule)).toBe(false);
      expect(await request.verdict(or(bogus.rule, allow))).toBe(true);
      expect(bogus.calls()).toBe(0);
    });

    test('results are kept by rule NAME: two rules sharing a name share entries (applyPolicy refuses such trees)', async () => {
      const first = rule('shared', { cache: 'contextual' })(() => true);
      const second = rule('shared', { cache: 'contextual' })(() => false);
      const request = engine.request();
      expect(await request.verdict(first)).toBe(true);
      expect(await request.verdict(second)).toBe(true);
    });
  });

  describe('falsy results are evaluated again, kept results are not', () => {
    const modes = [
      ['contextual', 'contextual'],
      ['strict', 'strict'],
      ['a cache-key function', () => 'key'],
    ] as const;

    test.each(modes)('%s: false, undefined, null, 0, NaN, "" and throws run again on every evaluation', async (_label, cache) => {
      for (const result of [false, undefined, null, 0, Number.NaN, '', 'throw']) {
        const r = counted(`falsy ${String(result)}`, { cache }, () => {
          if (result === 'throw') throw new Error('bug');
          return result;
        });
        const request = engine.request();
        await request.verdict(r.rule, 'p');
        await request.verdict(r.rule, 'p');
        expect(`${String(result)}: ${r.calls()}`).toBe(`${String(result)}: 2`);
      }
    });

    test.each(modes)('%s: true, errors, strings, 1, {} and any promise (even of false) are kept', async (_label, cache) => {
      for (const make of [
        () => true,
        () => new Error('e'),
        () => 'message',
        () => 1,
        () => ({}),
        async () => false,
        () => Promise.reject(new Error('x')),
      ]) {
        const r = counted(`kept ${make.toString()}`, { cache }, make);
        const request = engine.request();
        const before = await request.verdict(r.rule, 'p');
        const after = await request.verdict(r.rule, 'p');
        expect(`${make.toString()}: ${r.calls()} ${text(after)}`).toBe(`${make.toString()}: 1 ${text(before)}`);
      }
    });

    test('not() over a rule that answered false sees a change in the request: not(locked) allows, then denies', async () => {
      const locked = rule('locked', { cache: 'contextual' })((_p, _a, ctx: Ctx) => ctx.state.locked === true);
      const request = engine.request({ locked: false });
      expect(await request.verdict(not(locked))).toBe(true);
      request.state.locked = true;
      expect(await request.verdict(not(locked))).toBe(false);
    });

    test('a composite of contextual rules follows a change when a rule in it answered false', async () => {
      const granted = rule('granted', { cache: 'contextual' })(() => true);
      const staff = rule('staff', { cache: 'contextual' })((_p, _a, ctx: Ctx) => ctx.state.staff === true);
      const composite = and(granted, or(staff, not(granted)));
      const request = engine.request({ staff: false });
      expect(await request.verdict(composite)).toBe(false);
      expect(await request.verdict(composite)).toBe(false);
      request.state.staff = true;
      expect(await request.verdict(composite)).toBe(true);
    });

    test('a composite whose rules answered kept results does not follow a change (shield never asks them again)', async () => {
      const staff = rule('staff kept', { cache: 'contextual' })((_p, _a, ctx: Ctx) => ctx.state.staff === true || new Error('not staff'));
      const granted = rule('granted kept', { cache: 'contextual' })(async (_p, _a, ctx: Ctx) => ctx.state.granted === true);
      const composite = or(staff, granted);
      const request = engine.request({ staff: false, granted: false });
      expect(text(await request.verdict(composite))).toBe('Error(not staff)');
      request.state.staff = true;
      request.state.granted = true;
      expect(text(await request.verdict(composite))).toBe('Error(not staff)');
    });
  });

  describe('input rules (yup)', () => {
    test('valid arguments pass, invalid ones answer the validation error; results are kept per arguments', async () => {
      let built = 0;
      const seats = inputRule('seat arguments')((yup) => {
        built++;
        return yup.object({ licenseId: yup.string().required(), seats: yup.number().integer().min(1) });
      });
      const request = engine.request();
      expect(await request.verdict(seats, undefined, { licenseId: 'l1', seats: 2 })).toBe(true);
      expect(text(await request.verdict(seats, undefined, { seats: 0 }))).toMatch(
        /^Error\(.*(licenseId is a required field|seats must be greater than or equal to 1)/,
      );
      expect(await request.verdict(seats, undefined, { licenseId: 'l1', seats: 2 })).toBe(true);
      expect(built).toBe(2);
    });
  });

  describe('through a schema', () => {
    const typeDefs = `
      type Query { open: String, forgotten: String, items: [Item], lookup: String }
      type Item { id: ID, label: String }
      type Mutation { secret: String, lock: Boolean }
    `;
    let resolved: string[];
    const resolvers: Resolvers = {
      Query: {
        open: () => 'open',
        forgotten: () => {
          resolved.push('forgotten');
          return 'leaked';
        },
        items: () => ['a', 'b', 'c'],
        lookup: () => 'found',
      },
      Item: { id: (id: string) => id, label: (id: string) => `item ${id}` },
      Mutation: {
        secret: () => 'the secret',
        lock: (_p: unknown, _a: unknown, ctx: Ctx) => {
          ctx.state.locked = true;
          return true;
        },
      },
    };
    beforeEach(() => {
      resolved = [];
    });

    test('a field without a rule is denied (FORBIDDEN) and its resolver never runs', async () => {
      const schema = engine.protect(typeDefs, resolvers, { Query: { open: allow } });
      const result = await engine.run(schema, '{ open forgotten }');
      expect(result.data).toEqual({ open: 'open', forgotten: null });
      expect(errorsOf(result)).toEqual([['forgotten', 'FORBIDDEN']]);
      expect(resolved).toEqual([]);
    });

    test('mutation { before: secret lock after: secret }: not(locked) allows before the lock and denies after it', async () => {
      const locked = rule('locked', { cache: 'contextual' })((_p, _a, ctx: Ctx) => ctx.state.locked === true);
      const schema = engine.protect(typeDefs, resolvers, { Mutation: { secret: not(locked), lock: allow } });
      const result = await engine.run(schema, 'mutation { before: secret lock after: secret }', { locked: false });
      expect(result.data).toEqual({ before: 'the secret', lock: true, after: null });
      expect(errorsOf(result)).toEqual([['after', 'FORBIDDEN']]);
    });

    test('a strict rule over string parents decides per parent', async () => {
      const owned = rule('owns item', { cache: 'strict' })((id: string, _a, ctx: Ctx) => (ctx.state.owned as string[]).includes(id));
      const schema = engine.protect(typeDefs, resolvers, { Query: { items: allow }, Item: { id: allow, label: owned } });
      const result = await engine.run(schema, '{ items { id label } }', { owned: ['b'] });
      expect(result.data).toEqual({
        items: [
          { id: 'a', label: null },
          { id: 'b', label: 'item b' },
          { id: 'c', label: null },
        ],
      });
      expect(errorsOf(result)).toEqual([
        ['items.0.label', 'FORBIDDEN'],
        ['items.2.label', 'FORBIDDEN'],
      ]);
    });

    test('a typed error a rule returns reaches the client as it is', async () => {
      const missing = rule('record exists')(() => new NotFoundError('Record'));
      const schema = engine.protect(typeDefs, resolvers, { Query: { lookup: missing } });
      expect(errorsOf(await engine.run(schema, '{ lookup }'))).toEqual([['lookup', 'NOT_FOUND']]);
    });

    test('two different rules with one name are refused, naming the name', () => {
      const a = rule('duplicated')(() => true);
      const b = rule('duplicated')(() => true);
      expect(() => engine.protect(typeDefs, resolvers, { Query: { open: a, lookup: b } })).toThrow(
        'There seem to be multiple definitions of these rules: duplicated',
      );
    });

    test('one rule object used on many fields, or two rules with one name and one function, is accepted', () => {
      const check = () => true;
      const shared = rule('shared check')(check);
      const twin = rule('shared check', { cache: 'contextual' })(check);
      expect(() => engine.protect(typeDefs, resolvers, { Query: { open: shared, lookup: shared, items: twin } })).not.toThrow();
    });

    test('a rule for a field the schema lacks is refused, naming it', () => {
      expect(() => engine.protect(typeDefs, resolvers, { Query: { open: allow, nope: allow } })).toThrow(/Query\.nope/);
    });
  });
});

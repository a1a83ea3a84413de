import type { GraphQLResolveInfo } from 'graphql';
import { allow, and, chain, deny, not, or, race, rule } from 'graphql-shield';
import type { IRule, Verdict } from '../../src/authz/engine.js';

/** Every behaviour a rule function can have; each leaf is drawn synchronous or asynchronous. */
const OUTCOMES = [true, false, new Error('custom'), 'string error', 'throw', undefined] as const;

/** Cache modes a random leaf may use; `keyed` is a cache-key function. */
export type LeafCache = 'no_cache' | 'contextual' | 'strict' | 'keyed';

/**
 * A random graphql-shield rule tree over every combinator. Leaves get unique names: shield
 * caches by name, the engine by identity, and with unique names both must agree.
 */
export function randomRuleTree(random: () => number, caches: readonly LeafCache[], depth = 0, counter = { n: 0 }): IRule {
  const pick = Math.floor(random() * (depth > 2 ? 3 : 9));
  if (pick < 3) {
    if (random() < 0.1) return random() < 0.5 ? allow : deny;
    const outcome = OUTCOMES[Math.floor(random() * OUTCOMES.length)]!;
    const async = random() < 0.5;
    const mode = caches[Math.floor(random() * caches.length)]!;
    const produce = () => {
      if (outcome === 'throw') throw new Error('rule bug');
      return outcome as never;
    };
    return rule(`leaf-${counter.n++}`, { cache: mode === 'keyed' ? () => 'k' : mode })(async ? async () => produce() : () => produce());
  }
  const children = Array.from({ length: 1 + Math.floor(random() * 3) }, () => randomRuleTree(random, caches, depth + 1, counter));
  switch (pick) {
    case 3:
      return and(...children);
    case 4:
      return or(...children);
    case 5:
      return chain(...children);
    case 6:
      return race(...children);
    case 7:
      return not(children[0]!, random() < 0.5 ? new Error('not error') : undefined);
    default:
      return or(...children);
  }
}

/** What graphql-shield itself decides: its `resolve`, the code stock `shield()` runs per field. */
export async function shieldVerdict(node: IRule, parent: unknown = {}, ctx: object = { _shield: { cache: {} } }): Promise<Verdict> {
  const resolve = (node as unknown as { resolve: (...args: unknown[]) => Promise<Verdict> }).resolve.bind(node);
  return resolve(parent, {}, ctx, {} as GraphQLResolveInfo, { debug: false, allowExternalErrors: false, hashFunction: () => 'h' });
}

/** A verdict as comparable text. */
export function describeVerdict(v: Verdict): string {
  return v instanceof Error ? `Error(${v.message})` : String(v);
}

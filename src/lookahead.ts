import { type DocumentNode, Kind, visit } from 'graphql';
import { ENTITLEMENT_FIELD_NAMES } from './authz/policy.js';
import type { RequestContext } from './context.js';
import { RateLimitedError } from './errors.js';
import type { Admission } from './limits/admission.js';
import { whenReady } from './limits/limit-store.js';

/**
 * What a request will need to know about its caller, looked up as execution starts instead of
 * when the first rule asks: the caller's business identity at once (alongside the first
 * reads), their customer's license entitlements as soon as the customer is known when the
 * operation selects a field they guard, and their customer's fair share (a concurrency slot,
 * and the operation's estimated objects from the customer's bucket). So a rule
 * never adds a round trip of its own in front of the read it guards, and a foreign id costs
 * the same upstream calls, in the same waves, as an unknown one.
 */
export function lookAhead(ctx: RequestContext, document: DocumentNode, admission: Admission, objects: number): void {
  // Support staff and machine tokens have no customer, and no rule of theirs waits for one.
  if (ctx.identity.isSupportStaff || ctx.identity.known !== undefined) return;
  const entitlements = selectsAny(document, ENTITLEMENT_FIELD_NAMES);
  Promise.resolve(ctx.identity.resolve())
    .then(({ customerId }) => {
      if (customerId === null) return;
      if (entitlements) void Promise.resolve(ctx.identity.entitlements(customerId)).catch(() => {});
      // From memory each answer is there at once: no turn of the microtask queue for it.
      return whenReady(admission.admitCustomer(customerId), (admitted) => {
        if (admitted instanceof RateLimitedError) return ctx.budget.abandon(admitted);
        ctx.scope.onEnd(admitted);
        return whenReady(admission.admitCustomerWork(customerId, objects), (refused) => {
          if (refused !== null) ctx.budget.abandon(refused);
        });
      });
    })
    // A lookup that fails is left to the rules that need it: they deny.
    .catch(() => {});
}

// Parsed documents are cached by Apollo and reused: the walk runs once per document.
const selected = new WeakMap<DocumentNode, Set<string>>();

/** True when the document selects a field named one of `names` (on any type, in any fragment). */
function selectsAny(document: DocumentNode, names: ReadonlySet<string>): boolean {
  let fields = selected.get(document);
  if (fields === undefined) {
    const found = new Set<string>();
    visit(document, {
      [Kind.FIELD]: (node) => {
        found.add(node.name.value);
      },
    });
    fields = found;
    selected.set(document, fields);
  }
  for (const name of names) if (fields.has(name)) return true;
  return false;
}

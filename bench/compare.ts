/**
 * Comparing what two GraphQL responses let a client see.
 *
 * "Data visibility" of a response = the set of its non-null leaves, each a (path, value)
 * pair, e.g. `customer.invoices.edges.3.node.number = "ACME-2026-0001"`; list items are
 * addressed by index. Two responses have IDENTICAL DATA VISIBILITY when these sets are equal.
 * Objects and lists whose leaves are all null carry no data: `customer: null` and
 * `customer: { billingAccount: null }` show the same thing (nothing), although they differ in
 * shape. Errors are not data and are compared separately, if at all.
 */

/** A JSON value as GraphQL responses carry it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every non-null leaf of `value`, by dotted path. */
export function leaves(value: unknown, path = '', into: Map<string, Json> = new Map()): Map<string, Json> {
  if (value === null || value === undefined) return into;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) leaves(item, join(path, String(index)), into);
  } else if (typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) leaves(child, join(path, key), into);
  } else {
    into.set(path, value as Json);
  }
  return into;
}

/** A place where the lean response shows less than the stock one. */
export interface Withheld {
  /** Highest path where lean is null (or absent) and stock is not. */
  readonly path: string;
  /** What stock has there, e.g. `object{billingAccount,usage}` or `"Acme Corp"`. */
  readonly stock: string;
  /** Non-null leaves below that path in stock (0: "an object of nulls", no data). */
  readonly stockLeaves: number;
}

/** The differential verdict on one pair of responses. */
export interface VisibilityComparison {
  /** Lean leaves that stock does not show, or shows with another value: must be empty. */
  readonly leaks: string[];
  /** Places where lean shows less than stock (shape or data). */
  readonly withheld: Withheld[];
  /** True when both have the same non-null leaves (same data visibility). */
  readonly sameData: boolean;
}

/** Compares the `data` of a lean-path response with the stock-shield response to the same request. */
export function compareVisibility(lean: unknown, stock: unknown): VisibilityComparison {
  const leanLeaves = leaves(lean);
  const stockLeaves = leaves(stock);
  const leaks: string[] = [];
  for (const [path, value] of leanLeaves) {
    if (!stockLeaves.has(path)) leaks.push(`${path}: lean shows ${JSON.stringify(value)}, stock withholds it`);
    else if (stockLeaves.get(path) !== value)
      leaks.push(`${path}: lean shows ${JSON.stringify(value)}, stock ${JSON.stringify(stockLeaves.get(path))}`);
  }
  const withheld: Withheld[] = [];
  collectWithheld(lean, stock, '', withheld);
  const sameData = leaks.length === 0 && leanLeaves.size === stockLeaves.size;
  return { leaks, withheld, sameData };
}

function collectWithheld(lean: unknown, stock: unknown, path: string, out: Withheld[]): void {
  if (stock === null || stock === undefined) return;
  if (lean === null || lean === undefined) {
    out.push({ path: path || '(root)', stock: summarise(stock), stockLeaves: leaves(stock).size });
    return;
  }
  if (Array.isArray(stock) && Array.isArray(lean)) {
    if (stock.length !== lean.length)
      out.push({
        path: path || '(root)',
        stock: `list of ${stock.length} (lean: ${lean.length})`,
        stockLeaves: leaves(stock).size - leaves(lean).size,
      });
    for (const [index, item] of stock.entries()) collectWithheld(lean[index], item, join(path, String(index)), out);
    return;
  }
  if (typeof stock === 'object' && typeof lean === 'object' && !Array.isArray(stock)) {
    for (const [key, child] of Object.entries(stock as Record<string, unknown>))
      collectWithheld((lean as Record<string, unknown>)[key], child, join(path, key), out);
  }
}

function summarise(value: unknown): string {
  if (Array.isArray(value)) return `list of ${value.length}`;
  if (typeof value === 'object' && value !== null) return `object{${Object.keys(value).join(',')}}`;
  return JSON.stringify(value);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Paths and codes of a response's errors, sorted: `customer.invoices FORBIDDEN`. */
export function errorSummary(
  errors: readonly { path?: readonly (string | number)[]; extensions?: { code?: unknown } }[] | undefined,
): string[] {
  return (errors ?? []).map((e) => `${(e.path ?? []).join('.') || '(request)'} ${String(e.extensions?.code)}`).sort();
}

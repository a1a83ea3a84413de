import { type GraphQLSchema, type OperationDefinitionNode, parse } from 'graphql';
import type { QueryLimits } from '../src/config.js';
import { estimateCost } from '../src/limits/cost.js';

/**
 * The family of operations bench/noisy-neighbour.ts searches for "the costliest query the
 * default limits accept": the schema's worst shapes (long pages, lists nested in lists, every
 * list of a customer) repeated under aliases up to the alias limit, written with a fragment or
 * inline (inline copies run into the token limit sooner), with the page size a variable. The
 * server decides what it accepts; `largestPredictedPage` only says where to ask first, with the
 * product's own estimator, so the search sends one executed request per point of the frontier
 * instead of walking up to it.
 */

/** One selection on `Customer`, repeated under every alias. */
export interface Shape {
  readonly id: string;
  readonly title: string;
  /** Uses `$first` (the page size the search varies). */
  readonly paged: boolean;
  readonly selection: string;
}

const MONEY = '{ amount amountMinor currency }';
const INVOICE = `id number status issuedAt dueAt total ${MONEY}`;

/** The worst shapes of the schema, from a customer: what each list can hold, nested where the schema allows. */
export const SHAPES: readonly Shape[] = [
  {
    id: 'invoices',
    title: 'a page of invoices with cursors',
    paged: true,
    selection: `invoices(first: $first) { totalCount pageInfo { endCursor hasNextPage } edges { cursor node { ${INVOICE} } } }`,
  },
  {
    id: 'invoice-lines',
    title: 'a page of invoices with lines and customer',
    paged: true,
    selection: `invoices(first: $first) { edges { cursor node { ${INVOICE} lines { description quantity unitPrice ${MONEY} amount ${MONEY} } customer { id name } } } }`,
  },
  {
    id: 'invoices-nested',
    title: "a page of invoices, each with its customer's page of invoices",
    paged: true,
    selection: `invoices(first: $first) { edges { node { id number customer { id name invoices(first: $first) { edges { cursor node { id number status issuedAt dueAt total { amount currency } } } } } } } }`,
  },
  {
    id: 'invoice-users',
    title: "a page of invoices, each with its customer's users",
    paged: true,
    selection: 'invoices(first: $first) { edges { node { id number customer { id name users { id name email role } } } } }',
  },
  {
    id: 'users',
    title: 'users with their customer',
    paged: false,
    selection: 'users { id name email role customer { id name } }',
  },
  {
    id: 'licenses',
    title: 'licenses with assignments and their users',
    paged: false,
    selection:
      'licenses { id status seats seatsUsed features validFrom validUntil product { id name } assignments { assignedAt user { id name email role customer { id name } } } }',
  },
  {
    id: 'mixed',
    title: 'billing account, users and a page of invoices with lines',
    paged: true,
    selection: `id name billingAccount { id currency balance ${MONEY} billingEmail paymentTerms status } users { id name email role } invoices(first: $first) { edges { node { ${INVOICE} lines { description quantity amount ${MONEY} } } } }`,
  },
];

/** One operation of the family, with the variables of one request. */
export interface Candidate {
  /** e.g. `invoices-nested/frag/a15/p36`. */
  readonly id: string;
  readonly shape: string;
  /** Aliased copies of the root field; one more copy has no alias (it does not count as one). */
  readonly aliases: number;
  readonly fragments: boolean;
  /** Page size (`$first`), null for an unpaged shape. */
  readonly first: number | null;
  readonly query: string;
  readonly variables: Record<string, unknown>;
}

/** The operation of `shape` with `aliases` aliased copies (plus one plain), for one page size. */
export function candidate(shape: Shape, aliases: number, fragments: boolean, first: number | null, customerId: string): Candidate {
  const copies = Array.from(
    { length: aliases + 1 },
    (_, i) => `${i === 0 ? '' : `a${i}: `}customer(id: $id) { ${fragments ? '...F' : shape.selection} }`,
  );
  const variables = shape.paged ? '$id: ID!, $first: Int!' : '$id: ID!';
  const query = `query Attack(${variables}) { ${copies.join(' ')} }${fragments ? ` fragment F on Customer { ${shape.selection} }` : ''}`;
  return {
    id: `${shape.id}/${fragments ? 'frag' : 'inline'}/a${aliases}${shape.paged ? `/p${first}` : ''}`,
    shape: shape.id,
    aliases,
    fragments,
    first: shape.paged ? first : null,
    query,
    variables: shape.paged ? { id: customerId, first } : { id: customerId },
  };
}

/** The product's estimate of a candidate (src/limits/cost.ts), as the server computes it. */
export function estimateOf(schema: GraphQLSchema, c: Candidate, maxPageSize: number): { objects: number; cost: number } {
  const document = parse(c.query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')!;
  const estimate = estimateCost(schema, document, operation, c.variables, { maxPageSize });
  if (!estimate) throw new Error(`${c.id}: variables do not coerce`);
  return { objects: estimate.objects, cost: estimate.cost };
}

/**
 * The largest page (1..maxPageSize) whose estimate is within the cost limits, 0 when even a
 * page of 1 is not. The estimate grows with the page, so a binary search finds it.
 */
export function largestPredictedPage(
  schema: GraphQLSchema,
  shape: Shape,
  aliases: number,
  fragments: boolean,
  limits: Pick<QueryLimits, 'maxCost' | 'maxObjects'>,
  maxPageSize: number,
  customerId: string,
): number {
  const within = (first: number) => {
    const { objects, cost } = estimateOf(schema, candidate(shape, aliases, fragments, first, customerId), maxPageSize);
    return objects <= limits.maxObjects && cost <= limits.maxCost;
  };
  let low = 0; // within (or 0)
  let high = maxPageSize + 1; // beyond
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if (within(middle)) low = middle;
    else high = middle;
  }
  return low;
}

/**
 * Operations the cost tests share: what the SPAs send (the largest of them sets the default
 * limits, see GRAPHQL_MAX_COST and GRAPHQL_MAX_OBJECTS in src/config.ts) and the hostile shapes the limits exist for.
 */

/** Apollo Sandbox's default document (src/server.ts). */
export const SANDBOX = `query WhoAmI { viewer { subject permissions entitlements user { name role } customer { name invoices(first: 3) { totalCount edges { node { number status total { amount currency } } } } licenses { product { name } status seats seatsUsed } } } }`;

/** The customer-admin portal page: everything about one customer, a 100-invoice page with lines. */
export const CUSTOMER_ADMIN = `query CustomerAdmin($id: ID!) {
  customer(id: $id) {
    id
    name
    users { id name email role }
    licenses {
      id status seats seatsUsed validFrom validUntil features
      product { id name }
      assignments { assignedAt user { id name email } }
    }
    billingAccount { id currency billingEmail paymentTerms status balance { amount currency } }
    invoices(first: 100) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id number status issuedAt dueAt
          total { amount currency }
          lines { description quantity unitPrice { amount currency } amount { amount currency } }
        }
      }
    }
    usage { period activeUsers apiCalls storageGb forecast { period apiCalls confidence } }
  }
}`;

/** The support console's customer listing. */
export const SUPPORT_CONSOLE = `query SupportCustomer($id: ID!) {
  customer(id: $id) {
    id
    name
    licenses { id status seats seatsUsed validUntil product { name } }
    invoices(first: 20) { totalCount edges { node { id number status issuedAt dueAt total { amount currency } } } }
  }
}`;

const aliases = (n: number, body: (i: number) => string) => Array.from({ length: n }, (_, i) => `a${i}: ${body(i)}`).join('\n');

/** The reported attack: unpaginated lists nested through the Customer/User cycle, `n` times under aliases. */
export function nestedUsers(n: number): string {
  return `{ ${aliases(n, () => 'viewer { customer { users { customer { users { customer { users { id } } } } } } }')} }`;
}

const INVOICE_CHAIN = (first: string) =>
  `invoices${first} { edges { node { number customer { invoices${first} { edges { node { number lines { description } customer { users { id } } } } } } } } }`;

/** Pages nested through Invoice.customer, `first` from `$n` (or the argument default when `withFirst` is false). */
export function nestedInvoices(n: number, withFirst: boolean): string {
  const first = withFirst ? '(first: $n)' : '';
  return `query Pages${withFirst ? '($n: Int)' : ''} { ${aliases(n, () => `viewer { customer { ${INVOICE_CHAIN(first)} } }`)} }`;
}

/** `nestedInvoices` written with named fragments. */
export function nestedInvoicesFragments(n: number): string {
  return `query Pages($n: Int) { ${aliases(n, () => 'viewer { customer { ...Outer } }')} }
    fragment Outer on Customer { invoices(first: $n) { ...Page } }
    fragment Page on InvoiceConnection { edges { node { number customer { ...Inner } } } }
    fragment Inner on Customer { invoices(first: $n) { edges { node { ...Leaf } } } }
    fragment Leaf on Invoice { number lines { description } customer { users { id } } }`;
}

/** `nestedInvoices` written with inline fragments. */
export function nestedInvoicesInline(n: number): string {
  return `query Pages($n: Int) { ${aliases(
    n,
    () =>
      'viewer { customer { ... on Customer { invoices(first: $n) { ... { edges { node { number ... on Invoice { customer { invoices(first: $n) { edges { ... on InvoiceEdge { node { number lines { description } customer { ... { users { id } } } } } } } } } } } } } } } }',
  )} }`;
}

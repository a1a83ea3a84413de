import { useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { type FragmentType, getFragmentData, graphql } from '../gql';
import { noticeAt } from '../graphql-errors';
import { formatMoney } from '../format';
import { NoticeText } from './Notice';
import { Section } from './Section';

/** Invoices per page: small, so the demo world's 14 Acme invoices take three pages. */
export const INVOICE_PAGE_SIZE = 5;

const InvoiceRowFragment = graphql(`
  fragment InvoiceRow on Invoice {
    id
    number
    status
    issuedAt
    dueAt
    total {
      amount
      currency
    }
  }
`);

const PortalInvoicesQuery = graphql(`
  query PortalInvoices($customerId: ID!, $first: Int!, $after: String) {
    customer(id: $customerId) {
      id
      billingAccount {
        id
        status
        paymentTerms
        balance {
          amount
          currency
        }
      }
      invoices(first: $first, after: $after) {
        totalCount
        edges {
          cursor
          node {
            id
            ...InvoiceRow
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

/**
 * The billing account and its invoices, a page at a time (Relay connection: `after` is the
 * previous page's `endCursor`). Without read:billing both come back null with FORBIDDEN, and
 * the section says which permission would show them.
 */
export function InvoicesSection({ customerId }: { readonly customerId: string }) {
  // Cursors of the pages before this one: forward-only connections go back by remembering.
  const [previous, setPrevious] = useState<(string | null)[]>([]);
  const [after, setAfter] = useState<string | null>(null);
  const { data, error, loading } = useQuery(PortalInvoicesQuery, {
    variables: { customerId, first: INVOICE_PAGE_SIZE, after },
  });

  const customer = data?.customer;
  if (customer == null) {
    return <Section title="Billing">{loading ? <p>Loading invoices…</p> : <NoticeText notice={noticeAt(error, ['customer'])} />}</Section>;
  }
  const { billingAccount, invoices } = customer;
  const first = previous.length * INVOICE_PAGE_SIZE + 1;

  return (
    <Section title="Billing">
      {billingAccount !== null && (
        <p className="summary">
          Balance <strong>{formatMoney(billingAccount.balance)}</strong> · {billingAccount.paymentTerms} ·{' '}
          {billingAccount.status.toLowerCase()}
        </p>
      )}
      {/* When both are refused (bob: no read:billing), the invoices' notice says it once. */}
      {billingAccount === null && invoices !== null && (
        <p className="summary">
          Balance: <NoticeText notice={noticeAt(error, ['customer', 'billingAccount'])} />
        </p>
      )}
      {invoices === null ? (
        <p>
          <NoticeText notice={noticeAt(error, ['customer', 'invoices'])} />
        </p>
      ) : (
        <>
          <table>
            <caption>
              {invoices.edges.length === 0
                ? 'No invoices'
                : `Invoices ${first}–${first + invoices.edges.length - 1} of ${invoices.totalCount}`}
            </caption>
            <thead>
              <tr>
                <th scope="col">Number</th>
                <th scope="col">Issued</th>
                <th scope="col">Due</th>
                <th scope="col">Status</th>
                <th scope="col" className="amount">
                  Total
                </th>
              </tr>
            </thead>
            <tbody>
              {invoices.edges.map((edge) => (
                <InvoiceRow key={edge.node.id} invoice={edge.node} />
              ))}
            </tbody>
          </table>
          <nav className="pager" aria-label="Invoice pages">
            <button
              type="button"
              disabled={previous.length === 0 || loading}
              onClick={() => {
                setAfter(previous.at(-1) ?? null);
                setPrevious(previous.slice(0, -1));
              }}
            >
              Previous page
            </button>
            <button
              type="button"
              disabled={!invoices.pageInfo.hasNextPage || loading}
              onClick={() => {
                setPrevious([...previous, after]);
                setAfter(invoices.pageInfo.endCursor ?? null);
              }}
            >
              Next page
            </button>
          </nav>
        </>
      )}
    </Section>
  );
}

function InvoiceRow(props: { readonly invoice: FragmentType<typeof InvoiceRowFragment> }) {
  const invoice = getFragmentData(InvoiceRowFragment, props.invoice);
  return (
    <tr>
      <td>{invoice.number}</td>
      <td>{invoice.issuedAt}</td>
      <td>{invoice.dueAt}</td>
      <td>
        <span className={`status status-${invoice.status.toLowerCase()}`}>{invoice.status.toLowerCase()}</span>
      </td>
      <td className="amount">{formatMoney(invoice.total)}</td>
    </tr>
  );
}

import type { ErrorLike } from '@apollo/client';
import { useQuery } from '@apollo/client/react';
import type { ReactNode } from 'react';
import { InvoicesSection } from './components/InvoicesSection';
import { LicensesSection } from './components/LicensesSection';
import { PeopleSection } from './components/PeopleSection';
import { UsageSection } from './components/UsageSection';
import { graphql } from './gql';
import { requestErrorCode } from './graphql-errors';
import { ErrorCode } from '../../../docs/error-codes';

const PortalViewerQuery = graphql(`
  query PortalViewer {
    viewer {
      subject
      permissions
      entitlements
      isSupportStaff
      user {
        id
        name
        role
      }
      customer {
        id
        name
      }
    }
  }
`);

/**
 * The portal. `viewer` comes first and decides what the page offers (no seat buttons without
 * manage:licenses, no forecast without the forecasting entitlement); each section then reads
 * the errors of its own query to say what was refused and why.
 */
export function App({ account }: { readonly account: ReactNode }) {
  const { data, error, loading } = useQuery(PortalViewerQuery);

  if (data === undefined) {
    return (
      <Shell account={account} customer={undefined}>
        {loading ? <p>Signing in…</p> : <p role="alert">{whyNoViewer(error)}</p>}
      </Shell>
    );
  }
  const { viewer } = data;
  if (viewer.customer === null) {
    return (
      <Shell account={account} customer={undefined}>
        <p role="alert" className="notice notice-no-access">
          {viewer.isSupportStaff
            ? 'Support staff see customers in the support console: this portal shows a customer its own account.'
            : 'Your sign-in is not linked to a customer account. Ask your administrator to invite you.'}
        </p>
      </Shell>
    );
  }
  const customerId = viewer.customer.id;
  const canManageSeats = viewer.permissions.includes('manage:licenses') && viewer.user?.role === 'ADMIN';
  return (
    <Shell account={account} customer={viewer.customer.name}>
      <p className="who">
        Signed in as <strong>{viewer.user?.name ?? viewer.subject}</strong> ({viewer.user?.role.toLowerCase()}) · permissions:{' '}
        {viewer.permissions.join(', ') || 'none'} · licensed features: {viewer.entitlements.join(', ') || 'none'}
      </p>
      <InvoicesSection customerId={customerId} />
      <LicensesSection customerId={customerId} canManageSeats={canManageSeats} />
      <PeopleSection customerId={customerId} />
      <UsageSection customerId={customerId} withForecast={viewer.entitlements.includes('forecasting')} />
    </Shell>
  );
}

function Shell(props: { readonly account: ReactNode; readonly customer: string | undefined; readonly children: ReactNode }) {
  return (
    <>
      <header>
        <h1>{props.customer ?? 'Customer portal'}</h1>
        {props.account}
      </header>
      <main>{props.children}</main>
    </>
  );
}

/** Why not even `viewer` came back: the whole request failed (token, deployment, load, network). */
function whyNoViewer(error: ErrorLike | undefined): string {
  switch (requestErrorCode(error)) {
    case ErrorCode.UNAUTHENTICATED:
      return 'Your session has ended: sign in again.';
    case ErrorCode.PERSISTED_QUERY_NOT_FOUND:
    case ErrorCode.PERSISTED_QUERY_NOT_IN_LIST:
      return 'This version of the portal is not deployed to its API yet: its operations are unknown there.';
    case ErrorCode.RATE_LIMITED:
      return 'Too many requests right now: try again in a moment.';
    default:
      return 'The portal could not reach its API. Try again in a moment.';
  }
}

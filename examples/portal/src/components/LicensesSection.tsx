import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { type FragmentType, getFragmentData, graphql } from '../gql';
import { noticeAt, seatChangeRefusal } from '../graphql-errors';
import { formatDay } from '../format';
import { NoticeText } from './Notice';
import { Section } from './Section';

const LicenseCardFragment = graphql(`
  fragment LicenseCard on License {
    id
    product {
      id
      name
    }
    status
    features
    seats
    seatsUsed
    validUntil
    assignments {
      assignedAt
      user {
        id
        name
      }
    }
  }
`);

const PortalLicensesQuery = graphql(`
  query PortalLicenses($customerId: ID!) {
    customer(id: $customerId) {
      id
      licenses {
        id
        ...LicenseCard
      }
      users {
        id
        name
      }
    }
  }
`);

// Both seat changes answer with the license as it is now, through the card's own fragment: the
// cache updates License:<id> and every card showing it re-renders, with no refetch.
const AssignSeatMutation = graphql(`
  mutation AssignSeat($licenseId: ID!, $userId: ID!) {
    assignLicenseSeat(licenseId: $licenseId, userId: $userId) {
      licenseId
      userId
      seatsUsed
      license {
        id
        ...LicenseCard
      }
    }
  }
`);

const RevokeSeatMutation = graphql(`
  mutation RevokeSeat($licenseId: ID!, $userId: ID!) {
    revokeLicenseSeat(licenseId: $licenseId, userId: $userId) {
      licenseId
      userId
      seatsUsed
      license {
        id
        ...LicenseCard
      }
    }
  }
`);

type Person = { readonly id: string; readonly name: string };

/**
 * The customer's licenses with their seats. Seat management is offered only to callers the
 * viewer says may manage licenses: the BFF would refuse anyone else, and a button that can
 * only fail is worse than none.
 */
export function LicensesSection({ customerId, canManageSeats }: { readonly customerId: string; readonly canManageSeats: boolean }) {
  const { data, error, loading } = useQuery(PortalLicensesQuery, { variables: { customerId } });
  const customer = data?.customer;
  if (customer == null) {
    return <Section title="Licenses">{loading ? <p>Loading licenses…</p> : <NoticeText notice={noticeAt(error, ['customer'])} />}</Section>;
  }
  if (customer.licenses === null) {
    return (
      <Section title="Licenses">
        <NoticeText notice={noticeAt(error, ['customer', 'licenses'])} />
      </Section>
    );
  }
  return (
    <Section title="Licenses">
      <div className="cards">
        {customer.licenses.map((license) => (
          <LicenseCard key={license.id} license={license} people={canManageSeats ? (customer.users ?? []) : undefined} />
        ))}
      </div>
    </Section>
  );
}

/** One license: product, state, seats; with `people`, a seat table to assign and revoke. */
function LicenseCard(props: {
  readonly license: FragmentType<typeof LicenseCardFragment>;
  readonly people: readonly Person[] | undefined;
}) {
  const license = getFragmentData(LicenseCardFragment, props.license);
  const [assign, assigning] = useMutation(AssignSeatMutation);
  const [revoke, revoking] = useMutation(RevokeSeatMutation);
  const [refusal, setRefusal] = useState<string>();
  const holders = new Set(license.assignments.flatMap((assignment) => (assignment.user === null ? [] : [assignment.user.id])));
  const busy = assigning.loading || revoking.loading;
  const name = license.product.name;

  // errorPolicy 'all': a refusal resolves (payload null, error set) rather than throwing.
  async function assignTo(person: Person) {
    setRefusal(undefined);
    const result = await assign({ variables: { licenseId: license.id, userId: person.id } });
    if (result.data?.assignLicenseSeat == null) setRefusal(seatChangeRefusal(result.error));
  }
  async function revokeFrom(person: Person) {
    setRefusal(undefined);
    const result = await revoke({ variables: { licenseId: license.id, userId: person.id } });
    if (result.data?.revokeLicenseSeat == null) setRefusal(seatChangeRefusal(result.error));
  }

  return (
    <article className="card" aria-label={name}>
      <h3>
        {name} <span className={`status status-${license.status.toLowerCase()}`}>{license.status.toLowerCase()}</span>
      </h3>
      <p>
        <strong>
          {license.seatsUsed} of {license.seats} seats used
        </strong>{' '}
        · valid until {formatDay(license.validUntil)}
      </p>
      <p className="features">{license.features.join(' · ')}</p>
      {props.people === undefined ? (
        <p className="holders">Seats: {license.assignments.map((assignment) => assignment.user?.name ?? 'someone').join(', ') || 'none'}</p>
      ) : (
        <table className="seats">
          <caption>Seats of {name}</caption>
          <tbody>
            {props.people.map((person) => (
              <tr key={person.id}>
                <th scope="row">{person.name}</th>
                <td>{holders.has(person.id) ? 'has a seat' : '—'}</td>
                <td>
                  {holders.has(person.id) ? (
                    <button
                      type="button"
                      disabled={busy}
                      aria-label={`Revoke ${person.name}'s ${name} seat`}
                      onClick={() => void revokeFrom(person)}
                    >
                      Revoke
                    </button>
                  ) : (
                    <button
                      type="button"
                      disabled={busy}
                      aria-label={`Assign a ${name} seat to ${person.name}`}
                      onClick={() => void assignTo(person)}
                    >
                      Assign
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {refusal !== undefined && (
        <p role="alert" className="notice notice-error">
          {refusal}
        </p>
      )}
    </article>
  );
}

import { useQuery } from '@apollo/client/react';
import { graphql } from '../gql';
import { ANY, noticeAt } from '../graphql-errors';
import { NoticeText } from './Notice';
import { Section } from './Section';

const PortalPeopleQuery = graphql(`
  query PortalPeople($customerId: ID!) {
    customer(id: $customerId) {
      id
      users {
        id
        name
        role
        email
      }
    }
  }
`);

/**
 * The customer's users. A member sees their own e-mail address only: the others are null with
 * one FORBIDDEN error standing for all of them, found with `ANY` in place of the list index.
 */
export function PeopleSection({ customerId }: { readonly customerId: string }) {
  const { data, error, loading } = useQuery(PortalPeopleQuery, { variables: { customerId } });
  const customer = data?.customer;
  if (customer == null || customer.users === null) {
    const notice = noticeAt(error, customer == null ? ['customer'] : ['customer', 'users']);
    return <Section title="People">{loading ? <p>Loading people…</p> : <NoticeText notice={notice} />}</Section>;
  }
  return (
    <Section title="People">
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">E-mail</th>
          </tr>
        </thead>
        <tbody>
          {customer.users.map((user) => (
            <tr key={user.id}>
              <th scope="row">{user.name}</th>
              <td>{user.role.toLowerCase()}</td>
              <td>{user.email ?? <NoticeText notice={noticeAt(error, ['customer', 'users', ANY, 'email'])} />}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

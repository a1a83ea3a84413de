import type { GraphQLFormattedError } from 'graphql';
import { GROUPED_PATHS_SHOWN, groupRepeatedErrors } from '../../../src/error-grouping.js';

const forbidden = (path: (string | number)[], extensions: Record<string, unknown> = {}): GraphQLFormattedError => ({
  message: 'You are not allowed to access this field.',
  path,
  extensions: { code: 'FORBIDDEN', ...extensions },
});

test('denials of one field across a list become one error with the count and the first paths', () => {
  const errors = Array.from({ length: 8 }, (_, i) => forbidden(['customer', 'users', i, 'email']));
  const [grouped, ...rest] = groupRepeatedErrors(errors);
  expect(rest).toEqual([]);
  expect(grouped).toEqual({
    message: 'You are not allowed to access this field.',
    path: ['customer', 'users', 0, 'email'],
    extensions: {
      code: 'FORBIDDEN',
      count: 8,
      paths: Array.from({ length: GROUPED_PATHS_SHOWN }, (_, i) => ['customer', 'users', i, 'email']),
    },
  });
});

test('a single denial, other fields, other aliases, other permissions and other codes stay apart, in order', () => {
  const upstream: GraphQLFormattedError = {
    message: 'The billing service is unavailable.',
    path: ['a', 0, 'x'],
    extensions: { code: 'UPSTREAM_UNAVAILABLE' },
  };
  const errors = [
    forbidden(['a', 'users', 0, 'email']),
    upstream,
    { ...upstream, path: ['a', 1, 'x'] },
    forbidden(['b', 'users', 0, 'email']),
    forbidden(['a', 'users', 1, 'email']),
    forbidden(['a', 'users', 2, 'phone']),
    forbidden(['c', 0, 'invoices'], { permission: 'read:billing' }),
    forbidden(['c', 1, 'invoices'], { permission: 'read:other' }),
    forbidden(['customer', 'billingAccount']),
  ];
  const result = groupRepeatedErrors(errors);
  expect(result.map((e) => [e.path?.join('.'), e.extensions?.count])).toEqual([
    ['a.users.0.email', 2],
    ['a.0.x', undefined],
    ['a.1.x', undefined],
    ['b.users.0.email', undefined],
    ['a.users.2.phone', undefined],
    ['c.0.invoices', undefined],
    ['c.1.invoices', undefined],
    ['customer.billingAccount', undefined],
  ]);
});

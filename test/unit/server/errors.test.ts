import { locatedError, parse } from 'graphql';
import { ForbiddenError, UpstreamUnavailableError } from '../../../src/errors.js';

test('an expected outcome carries no stack trace: graphql-js, locating it, reads a plain line', () => {
  const denied = new ForbiddenError('billing:read');
  expect(denied.stack).toBe(`ForbiddenError: ${denied.message}`);
  const [field] = (parse('{ invoices }').definitions[0] as { selectionSet: { selections: never[] } }).selectionSet.selections;
  const located = locatedError(denied, [field], ['customer', 'invoices']);
  expect(located.path).toEqual(['customer', 'invoices']);
  expect(located.originalError).toBe(denied);
  expect(located.stack).not.toMatch(/\n\s+at /);
  expect(new UpstreamUnavailableError('billing').stack).not.toMatch(/\n\s+at /);
});

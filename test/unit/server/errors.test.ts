import { type FieldNode, locatedError, type OperationDefinitionNode, parse } from 'graphql';
import { ForbiddenError, UpstreamUnavailableError } from '../../../src/errors.js';

test('an expected outcome carries no stack trace: graphql-js, locating it, reads a plain line', () => {
  const denied = new ForbiddenError('billing:read');
  expect(denied.stack).toBe(`ForbiddenError: ${denied.message}`);
  const operation = parse('{ invoices }').definitions[0] as OperationDefinitionNode;
  const field = operation.selectionSet.selections[0] as FieldNode;
  const located = locatedError(denied, [field], ['customer', 'invoices']);
  expect(located.path).toEqual(['customer', 'invoices']);
  expect(located.originalError).toBe(denied);
  expect(located.stack).not.toMatch(/\n\s+at /);
  expect(new UpstreamUnavailableError('billing').stack).not.toMatch(/\n\s+at /);
});

import { type FieldNode, locatedError, type OperationDefinitionNode, parse } from 'graphql';
import {
  BffError,
  ErrorCode,
  ForbiddenError,
  LicenseRequiredError,
  locatedAt,
  RateLimitedError,
  UpstreamUnavailableError,
} from '../../../src/errors.js';

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

test('no stack trace is captured for an expected outcome, and the stack-trace limit is left as it was; an internal error keeps its stack', () => {
  const limit = Error.stackTraceLimit;
  const captured: number[] = [];
  const prepare = Error.prepareStackTrace;
  // V8 hands every stack it formats to this hook, with the frames it captured.
  Error.prepareStackTrace = (error, frames) => {
    captured.push(frames.length);
    return prepare ? prepare(error, frames) : `${String(error)}`;
  };
  try {
    const errors = [new ForbiddenError('billing:read'), new UpstreamUnavailableError('billing'), new RateLimitedError('caller', 1000)];
    for (const error of errors) void error.stack;
    expect(captured.every((frames) => frames === 0)).toBe(true);
    expect(Error.stackTraceLimit).toBe(limit);
    void new BffError('boom', ErrorCode.INTERNAL_SERVER_ERROR).stack;
    expect(Math.max(...captured)).toBeGreaterThan(0);
  } finally {
    Error.prepareStackTrace = prepare;
  }
  expect(new BffError('boom', ErrorCode.INTERNAL_SERVER_ERROR).stack).toMatch(/\n\s+at /);
});

test('an error located at a field reads exactly as graphql-js would locate it, and graphql-js takes it as it is', () => {
  const operation = parse('{ customer { usage { forecast } } }').definitions[0] as OperationDefinitionNode;
  const field = operation.selectionSet.selections[0] as FieldNode;
  const path = ['customer', 'usage', 'forecast'];
  for (const error of [new ForbiddenError('read:billing'), new LicenseRequiredError('forecasting')]) {
    const ours = locatedAt(error, [field], path);
    expect(JSON.stringify(ours)).toBe(JSON.stringify(locatedError(error, [field], path)));
    expect(ours.toJSON()).toEqual({ message: error.message, locations: [{ line: 1, column: 3 }], path, extensions: error.extensions });
    // Already located: no second error (and no stack) per field.
    expect(locatedError(ours, [field], path)).toBe(ours);
  }
});

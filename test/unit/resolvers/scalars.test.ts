import { DateScalar, DateTimeScalar } from '../../../src/resolvers/scalars.js';

describe('Date', () => {
  test('serializes calendar dates as they are', () => {
    expect(DateScalar.serialize('2026-02-28')).toBe('2026-02-28');
    expect(DateScalar.serialize('2024-02-29')).toBe('2024-02-29');
  });

  test('refuses anything that is not a real calendar date', () => {
    for (const bad of ['2026-02-30', '2025-02-29', '2026-13-01', '2026-1-01', '2026-01-01T00:00:00Z', '', 20260101, null]) {
      expect(() => DateScalar.serialize(bad)).toThrow(/Date must be a calendar date YYYY-MM-DD/);
    }
  });

  test('parses variables and literals with the same rule', () => {
    expect(DateScalar.parseValue('2026-01-31')).toBe('2026-01-31');
    expect(() => DateScalar.parseValue('31/01/2026')).toThrow();
    expect(DateScalar.parseLiteral({ kind: 'StringValue', value: '2026-01-31' } as never)).toBe('2026-01-31');
    expect(() => DateScalar.parseLiteral({ kind: 'IntValue', value: '20260131' } as never)).toThrow();
  });
});

describe('DateTime', () => {
  test('serializes instants in UTC with milliseconds, whatever offset the upstream used', () => {
    expect(DateTimeScalar.serialize('2026-01-31T09:30:00Z')).toBe('2026-01-31T09:30:00.000Z');
    expect(DateTimeScalar.serialize('2026-01-31T10:30:00.250+01:00')).toBe('2026-01-31T09:30:00.250Z');
  });

  test('refuses dates, local times without a zone and impossible dates', () => {
    for (const bad of ['2026-01-31', '2026-01-31T09:30:00', '2026-02-30T00:00:00Z', 'yesterday', 1_700_000_000_000]) {
      expect(() => DateTimeScalar.serialize(bad)).toThrow(/DateTime must be an RFC 3339 date-time with a time zone/);
    }
  });
});

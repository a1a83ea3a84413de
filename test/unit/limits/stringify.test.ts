import { stringifyYielding } from '../../../src/limits/stringify.js';

test('the text is exactly JSON.stringify’s, whatever the value holds', async () => {
  const values: unknown[] = [
    null,
    'text',
    42,
    [1, undefined, () => 1, Symbol('s'), null],
    { a: 1, skipped: undefined, fn: () => 1, nested: { date: new Date(0), list: [{ x: '"quoted"\n' }] }, 'odd "key"': true },
    { data: { viewer: { subject: 'auth0|alice', customer: null } }, errors: [{ message: 'm', path: ['a', 0], extensions: { code: 'X' } }] },
  ];
  for (const value of values) expect(await stringifyYielding(value)).toBe(JSON.stringify(value));
});

test('a large response is written in slices: other work runs while it is serialized', async () => {
  const edges = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      cursor: `c${i}`,
      node: { id: `inv_${i}`, number: 'ACME-2026-0001', total: { amount: '1.00', currency: 'EUR' } },
    }));
  const big = {
    data: Object.fromEntries(
      Array.from({ length: 13 }, (_, a) => [
        `a${a}`,
        { invoices: { edges: edges(49).map((e) => ({ ...e, customer: { invoices: { edges: edges(49) } } })) } },
      ]),
    ),
  };
  let done = false;
  let ranDuring = false;
  setImmediate(() => {
    ranDuring = !done;
  });
  const text = await stringifyYielding(big);
  done = true;
  expect(text).toBe(JSON.stringify(big));
  expect(ranDuring).toBe(true);
});

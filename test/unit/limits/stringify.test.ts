import { stringifyYielding, writeInSlices } from '../../../src/limits/stringify.js';

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

test('large subtrees left to JSON.stringify are charged by their size: a few of them are not one block', async () => {
  // 40 items, each ~100 KB below the depth written natively: 160 values in all, so a clock read
  // every 64 values alone would let most of the 4 MB through in two or three stretches.
  const users = Array.from({ length: 1000 }, (_, i) => ({ id: `usr_${i}`, name: `User number ${i}`, email: `user${i}@example.com` }));
  const big = { data: { list: Array.from({ length: 40 }, (_, i) => ({ node: { id: i, customer: { users } } })) } };
  let turns = 0;
  let done = false;
  const tick = () => {
    if (done) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  const text = await stringifyYielding(big);
  done = true;
  expect(text).toBe(JSON.stringify(big));
  // Each item is 0.2 ms or more of native work, past a slice every few items.
  expect(turns).toBeGreaterThanOrEqual(8);
});

describe('writeInSlices', () => {
  /** A sink that records what was written and how many turns of the event loop it took. */
  function sink() {
    const chunks: string[] = [];
    let ended = false;
    return {
      chunks,
      get ended() {
        return ended;
      },
      destroyed: false,
      write(chunk: string) {
        chunks.push(chunk);
      },
      end(chunk?: string) {
        if (chunk !== undefined) chunks.push(chunk);
        ended = true;
      },
    };
  }

  test('a small body is written in one go', async () => {
    const res = sink();
    await writeInSlices(res, '{"data":{}}');
    expect(res.chunks).toEqual(['{"data":{}}']);
    expect(res.ended).toBe(true);
  });

  test('a large body is written in slices, other work runs in between, and no slice splits a surrogate pair', async () => {
    // Emoji (two UTF-16 units) at every position, so some fall on a slice boundary.
    const text = JSON.stringify({ names: Array.from({ length: 60_000 }, (_, i) => `n${i}😀`) });
    const res = sink();
    let ranBetween = false;
    setImmediate(() => {
      ranBetween = !res.ended;
    });
    await writeInSlices(res, text);
    expect(res.chunks.length).toBeGreaterThan(1);
    expect(res.chunks.join('')).toBe(text);
    for (const chunk of res.chunks) {
      // Each slice is encoded on its own: a lone surrogate would be written as U+FFFD.
      expect(Buffer.from(chunk, 'utf8').toString('utf8')).toBe(chunk);
    }
    expect(ranBetween).toBe(true);
  });
});

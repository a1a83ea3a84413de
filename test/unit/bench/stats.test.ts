import { describe, expect, test } from '@jest/globals';
import { median, medianInterval } from '../../../bench/stats.js';

describe('medianInterval', () => {
  test('takes the order statistics the binomial(n, 1/2) gives for 95%', () => {
    // n = 9: P(B <= 1) = 10/512, so x(2)..x(8) covers 96.1%; x(3)..x(7) only 82%.
    expect(medianInterval([9, 1, 8, 2, 7, 3, 6, 4, 5])).toEqual([2, 8]);
    // n = 25: x(8)..x(18) covers 95.7%.
    expect(medianInterval(Array.from({ length: 25 }, (_, i) => 25 - i))).toEqual([8, 18]);
    // n = 6: only the extremes, 96.9%.
    expect(medianInterval([6, 5, 4, 3, 2, 1])).toEqual([1, 6]);
  });

  test('gives no interval when too few values reach the confidence', () => {
    // n = 5: even min..max covers only 93.75%.
    expect(medianInterval([1, 2, 3, 4, 5])).toBeUndefined();
    expect(medianInterval([1, 2, 3, 4, 5], 0.9)).toEqual([1, 5]);
    expect(medianInterval([])).toBeUndefined();
  });

  test('holds the true median about as often as it claims', () => {
    // Deterministic pseudo-random samples of a skewed distribution whose median is known.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const trueMedian = Math.log(2); // exponential(1)
    let covered = 0;
    const trials = 2000;
    for (let t = 0; t < trials; t++) {
      const sample = Array.from({ length: 9 }, () => -Math.log(1 - random()));
      const [low, high] = medianInterval(sample)!;
      if (low <= trueMedian && trueMedian <= high) covered++;
      expect(low).toBeLessThanOrEqual(median(sample));
      expect(high).toBeGreaterThanOrEqual(median(sample));
    }
    // 96.1% nominal for n = 9.
    expect(covered / trials).toBeGreaterThan(0.94);
    expect(covered / trials).toBeLessThan(0.98);
  });
});

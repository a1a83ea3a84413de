import { describe, expect, test } from '@jest/globals';
import { median, medianInterval, quantile, quantileInterval } from '../../../bench/stats.js';

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

describe('quantileInterval', () => {
  test('for the median it agrees with medianInterval', () => {
    for (const n of [9, 25, 40]) {
      const values = Array.from({ length: n }, (_, i) => n - i);
      expect(quantileInterval(values, 0.5)).toEqual(medianInterval(values));
    }
  });

  test('a p99 of 500 values lies between about the 10th slowest and the slowest', () => {
    const values = Array.from({ length: 500 }, (_, i) => i + 1); // x(k) = k
    const [low, high] = quantileInterval(values, 0.99)!;
    expect(quantile(Float64Array.from(values), 0.99)).toBe(495);
    expect(low).toBeGreaterThanOrEqual(488);
    expect(low).toBeLessThanOrEqual(492);
    expect(high).toBe(500);
    // With 100 values the p99 needs a rank past the slowest: no interval.
    expect(quantileInterval(values.slice(0, 100), 0.99)).toBeUndefined();
  });

  test('holds the true p90 about as often as it claims', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const trueQuantile = -Math.log(0.1); // p90 of exponential(1)
    let covered = 0;
    const trials = 2000;
    for (let t = 0; t < trials; t++) {
      const sample = Array.from({ length: 200 }, () => -Math.log(1 - random()));
      const [low, high] = quantileInterval(sample, 0.9)!;
      if (low <= trueQuantile && trueQuantile <= high) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.93);
    expect(covered / trials).toBeLessThan(0.985);
  });
});

/** Small statistics helpers for the benchmark. */

/** Median of a non-empty list (NaN when empty). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The q-quantile (0..1) of an ascending-sorted list, nearest rank. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * A distribution-free confidence interval for the median of `values`, from order statistics:
 * the narrowest [x(k), x(n+1-k)] of the sorted values that holds the true median with at least
 * `confidence` (the number of values below the median is binomial(n, 1/2)). With 9 rounds it is
 * the 2nd to the 8th value (96%), with 25 the 8th to the 18th (96%). Undefined when there are
 * too few values for that confidence (fewer than 6 at 95%).
 */
export function medianInterval(values: readonly number[], confidence = 0.95): readonly [number, number] | undefined {
  const n = values.length;
  const sorted = [...values].sort((a, b) => a - b);
  let k = 0;
  // P(B = j) and P(B <= j) for B ~ binomial(n, 1/2).
  let term = 2 ** -n;
  let tail = 0;
  for (let j = 0; j < n / 2; j++) {
    tail += term;
    if (1 - 2 * tail < confidence) break;
    k = j + 1;
    term = (term * (n - j)) / (j + 1);
  }
  return k === 0 ? undefined : [sorted[k - 1]!, sorted[n - k]!];
}

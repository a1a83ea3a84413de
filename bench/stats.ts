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

/**
 * A distribution-free confidence interval for the q-quantile of `values` (q in (0, 1)), from
 * order statistics: [x(l), x(u)] holds the true quantile with probability P(l <= B < u), where
 * B ~ binomial(n, q) counts the values below it. The ranks grow from the one nearest n*q,
 * each step to the side that adds more probability, until `confidence` is reached. For a p99 of
 * 500 samples that is about the 1st to the 10th slowest: a tail quantile of a few hundred
 * samples is known only roughly, which is why the noisy-neighbour report prints it. Undefined
 * when the confidence needs a rank outside the sample (too few values for that quantile).
 */
export function quantileInterval(values: readonly number[], q: number, confidence = 0.95): readonly [number, number] | undefined {
  const n = values.length;
  if (n === 0 || !(q > 0 && q < 1)) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  // P(B = j) for j = 0..n, in logs (1 - q to the 1000th underflows).
  const logPmf = new Float64Array(n + 1);
  logPmf[0] = n * Math.log1p(-q);
  for (let j = 0; j < n; j++) logPmf[j + 1] = logPmf[j]! + Math.log(n - j) - Math.log(j + 1) + Math.log(q) - Math.log1p(-q);
  const pmf = (j: number) => (j < 0 || j > n ? 0 : Math.exp(logPmf[j]!));
  // B in [low, high] <=> x(low) <= quantile < x(high + 1) (ranks 1-based; x(0) = -inf, x(n+1) = +inf).
  let low = Math.min(n, Math.max(0, Math.floor(n * q)));
  let high = low;
  let covered = pmf(low);
  while (covered < confidence) {
    const below = pmf(low - 1);
    const above = pmf(high + 1);
    if (below === 0 && above === 0) break;
    if (below >= above) covered += pmf(--low);
    else covered += pmf(++high);
  }
  if (covered < confidence || low < 1 || high + 1 > n) return undefined;
  return [sorted[low - 1]!, sorted[high]!];
}

import type { TimedCall } from './http-service.js';

/**
 * Sequential upstream round trips: the longest chain of calls in which each one started only
 * after the one before it had been answered. Calls that overlap in time ran side by side (one
 * wave); a call that starts after another ended may have waited for it. With a fixed latency
 * per call, a request's time is about (waves x latency): the benchmark and the latency tests
 * compare this number between the product and the same reads without authorization.
 */
export function sequentialWaves(calls: readonly TimedCall[]): number {
  const sorted = [...calls].sort((a, b) => a.start - b.start);
  const depth: number[] = [];
  let longest = 0;
  for (let i = 0; i < sorted.length; i++) {
    let before = 0;
    for (let j = 0; j < i; j++) {
      if (sorted[j]!.end <= sorted[i]!.start) before = Math.max(before, depth[j]!);
    }
    depth[i] = before + 1;
    longest = Math.max(longest, depth[i]!);
  }
  return longest;
}

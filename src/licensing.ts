import type { License } from './upstream/types.js';

/**
 * What a license means at a point in time. Expiry comes from dates, not from a stored flag,
 * so a license that runs out takes effect on the next request without anyone updating it.
 */

/** The effective status of a license at `now` (ms since the epoch). */
export function licenseStatus(license: License, now: number): 'ACTIVE' | 'EXPIRED' | 'PENDING' | 'SUSPENDED' {
  if (license.status === 'suspended') return 'SUSPENDED';
  if (Date.parse(license.validUntil) <= now) return 'EXPIRED';
  if (Date.parse(license.validFrom) > now) return 'PENDING';
  return 'ACTIVE';
}

/** Features granted by licenses that are commercially active and inside their validity window at `now`. */
export function activeFeatures(licenses: readonly License[], now: number): ReadonlySet<string> {
  const features = new Set<string>();
  for (const license of licenses) {
    if (licenseStatus(license, now) === 'ACTIVE') for (const feature of license.features) features.add(feature);
  }
  return features;
}

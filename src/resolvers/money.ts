import type { MoneyResolvers } from './__generated__/resolvers-types.js';
import type { MoneyModel } from './models.js';

/** Builds the Money parent from minor units and a currency. */
export const money = (amountMinor: number, currency: string): MoneyModel => ({ amountMinor, currency });

export const Money: MoneyResolvers = {
  amountMinor: (m) => m.amountMinor,
  currency: (m) => m.currency,
  // Integer arithmetic only: "-12.05", never a float rounding artefact.
  amount: ({ amountMinor }) => {
    const sign = amountMinor < 0 ? '-' : '';
    const abs = Math.abs(amountMinor);
    return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
  },
};

// One locale for every number and amount, so the portal reads the same on every machine.
const LOCALE = 'en-US';

/** An amount as the BFF sends it (decimal string and ISO currency), e.g. "€1,234.50". */
export function formatMoney(money: { readonly amount: string; readonly currency: string }): string {
  return new Intl.NumberFormat(LOCALE, { style: 'currency', currency: money.currency }).format(Number(money.amount));
}

/** A count with thousands separators. */
export function formatCount(value: number): string {
  return new Intl.NumberFormat(LOCALE).format(value);
}

/** The day of a `DateTime` (always UTC from the BFF), e.g. "2027-03-01". A `Date` is shown as it is. */
export function formatDay(dateTime: string): string {
  return dateTime.slice(0, 10);
}

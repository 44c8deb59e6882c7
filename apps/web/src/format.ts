/**
 * How numbers and times are shown: amounts stay the API's decimal strings (never a float),
 * grouped by thousands and right-aligned with the currency's decimals; times in the viewer's
 * zone, with the UTC instant on hover.
 */
export function groupedAmount(decimal: string | null | undefined): string {
  if (decimal === null || decimal === undefined || decimal === '') return '';
  const match = /^(-?)([0-9]+)(\.[0-9]+)?$/.exec(decimal);
  if (!match) return decimal;
  const whole = match[2]!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${match[1] === '-' ? '−' : ''}${whole}${match[3] ?? ''}`;
}

const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

export function localDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTimeFormat.format(date);
}

export function localDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateFormat.format(date);
}

/** For charts only: a decimal string as a number of major units (a drawing, not a figure). */
export function chartValue(decimal: string): number {
  return Number(decimal);
}

export function shortHash(hash: string | null | undefined): string {
  if (!hash) return '';
  return hash.length <= 16 ? hash : `${hash.slice(0, 8)}…${hash.slice(-6)}`;
}

/** "12.34 %" of two decimal strings, or "—" when the denominator is zero. Computed in bigint ten-thousandths. */
export function percentOf(numerator: string, denominator: string): string {
  const scaled = (text: string) => {
    const match = /^(-?)([0-9]+)(?:\.([0-9]+))?$/.exec(text);
    if (!match) return null;
    const fraction = (match[3] ?? '').padEnd(12, '0').slice(0, 12);
    const value = BigInt(match[2]! + fraction);
    return match[1] === '-' ? -value : value;
  };
  const top = scaled(numerator);
  const bottom = scaled(denominator);
  if (top === null || bottom === null || bottom === 0n) return '—';
  const basisPoints = (top * 1_000_000n) / bottom;
  const negative = basisPoints < 0n;
  const magnitude = negative ? -basisPoints : basisPoints;
  const whole = magnitude / 10_000n;
  const fraction = ((magnitude % 10_000n) / 100n).toString().padStart(2, '0');
  return `${negative ? '−' : ''}${whole}.${fraction} %`;
}

/** Sum of decimal strings with the same number of decimals, as a decimal string. */
export function sumDecimals(values: readonly string[]): string {
  let decimals = 0;
  for (const value of values) decimals = Math.max(decimals, (value.split('.')[1] ?? '').length);
  let total = 0n;
  for (const value of values) {
    const [whole, fraction = ''] = value.replace('-', '').split('.');
    const minor = BigInt(whole! + fraction.padEnd(decimals, '0'));
    total += value.startsWith('-') ? -minor : minor;
  }
  const negative = total < 0n;
  const digits = (negative ? -total : total).toString().padStart(decimals + 1, '0');
  const text = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  return negative ? `-${text}` : text;
}

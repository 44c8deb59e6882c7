/**
 * Reference data of developer registrations, from maintained sources rather than free text:
 * - country: an ISO 3166-1 alpha-2 code from the `iso-3166-1` package (the officially
 *   assigned codes; user-assigned ones such as "ZZ" or "XK" are not in it). Only capitals
 *   are accepted: "ng" is refused rather than silently rewritten, so that what is stored is
 *   exactly what was sent;
 * - incomeGroup: one of the World Bank's four income groups (its classification by GNI per
 *   capita), written in lower-case kebab form.
 */
import * as iso31661 from 'iso-3166-1';
import { UnknownCountry, UnknownIncomeGroup } from '../domain.errors';
import { COUNTRY_CODE_LENGTH } from '../limits/ledger-limits';

const COUNTRY_CODE_PATTERN = /^[A-Z]{2}$/;
const COUNTRY_CODES: ReadonlySet<string> = new Set(iso31661.all().map((country) => country.alpha2));

export const INCOME_GROUPS = ['low', 'lower-middle', 'upper-middle', 'high'] as const;
export type IncomeGroup = (typeof INCOME_GROUPS)[number];
/** The longest income group name: the shape limit of the field at the edges. */
export const INCOME_GROUP_LENGTH_MAXIMUM = Math.max(...INCOME_GROUPS.map((group) => group.length));

export function isCountryCode(input: string): boolean {
  return input.length === COUNTRY_CODE_LENGTH && COUNTRY_CODE_PATTERN.test(input) && COUNTRY_CODES.has(input);
}

export function parseCountryCode(input: unknown, field: string): string {
  if (typeof input !== 'string' || !isCountryCode(input)) throw new UnknownCountry(field, input);
  return input;
}

export function parseOptionalIncomeGroup(input: unknown, field: string): IncomeGroup | null {
  if (input === undefined || input === null) return null;
  if (typeof input !== 'string' || !(INCOME_GROUPS as readonly string[]).includes(input)) throw new UnknownIncomeGroup(field, input, INCOME_GROUPS);
  return input as IncomeGroup;
}

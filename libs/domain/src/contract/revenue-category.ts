/**
 * The category of a receipt: what kind of revenue it is. A closed set, defined here once; the
 * contract may give a category its own platform-share terms (`platformShare.categories`), and
 * its counters may count each category apart (`counter: per_category`). Every receipt recorded
 * before categories existed is a `purchase`, which is why it is the default.
 */
import { FieldInvalid } from '../domain.errors';
import { CHOICE_LENGTH_MAXIMUM } from '../limits/ledger-limits';

export const REVENUE_CATEGORIES = ['purchase', 'subscription', 'advertising'] as const;
export type RevenueCategory = typeof REVENUE_CATEGORIES[number];
export const REVENUE_CATEGORY_DEFAULT: RevenueCategory = 'purchase';

export function isRevenueCategory(input: unknown): input is RevenueCategory {
  return typeof input === 'string' && (REVENUE_CATEGORIES as readonly string[]).includes(input);
}

/** A command's `category`: absent or null is the default (`purchase`); anything else must be one of the set. */
export function parseRevenueCategory(input: unknown, field = 'category'): RevenueCategory {
  if (input === undefined || input === null) return REVENUE_CATEGORY_DEFAULT;
  if (typeof input === 'string' && input.length <= CHOICE_LENGTH_MAXIMUM && isRevenueCategory(input)) return input;
  throw new FieldInvalid(field, `one of ${REVENUE_CATEGORIES.join(', ')} is required (default ${REVENUE_CATEGORY_DEFAULT})`);
}

import { defineTable } from '@rsi/projections';

/**
 * The tables of the unit-economics projection (`UnitEconomicsProjection`), each defined
 * once in the order of its columns (migration 0004). The projection builds rows from these
 * definitions; `read-model-tables.spec.ts` checks them against the migrated database.
 */

/** Every published price book with its meters: `[{meter, listPrice, unitCost}]`, prices as canonical decimal strings. */
export const PRICE_BOOKS_TABLE = defineTable('price_books', [
  ['price_book_id', 'text'], ['currency', 'text'], ['version', 'int4'], ['effective_from', 'timestamptz'], ['meters', 'jsonb'],
  ['recorded_at', 'timestamptz'],
]);

/** Quantity per app, meter and UTC day of occurredAt (exact numeric(40,9)), upserted by adding each batch's deltas. */
export const CONSUMPTION_DAILY_TABLE = defineTable('consumption_daily', [
  ['app_id', 'text'], ['developer_id', 'text'], ['meter', 'text'], ['day', 'date'], ['quantity', 'decimal'], ['records', 'int8'],
]);

/** The latest consumption occurredAt per currency (a new price book must take effect after it). */
export const CONSUMPTION_LATEST_TABLE = defineTable('consumption_latest', [['currency', 'text'], ['latest_occurred_at', 'timestamptz']]);

/**
 * Per app and UTC month of occurredAt, in the contract currency: revenue-side sums in minor
 * units, consumption priced exactly (numeric(60,21), major units), rounded only at read time.
 */
export const UNIT_ECONOMICS_MONTHLY_TABLE = defineTable('unit_economics_monthly', [
  ['app_id', 'text'], ['month', 'char'], ['developer_id', 'text'], ['currency', 'text'], ['gross_revenue_minor', 'numeric'],
  ['refunds_minor', 'numeric'], ['platform_split_minor', 'numeric'], ['platform_reversed_minor', 'numeric'],
  ['carve_outs_split_minor', 'numeric'], ['carve_outs_reversed_minor', 'numeric'], ['pay_per_use_exact', 'decimal'],
  ['infrastructure_cost_exact', 'decimal'],
]);

/**
 * The revenue side of unit_economics_monthly per revenue category (migration 0017): per app,
 * UTC month of occurredAt and category, in minor units of the contract currency. Its rows of
 * an app-month sum to that app-month's revenue figures in unit_economics_monthly.
 */
export const REVENUE_CATEGORY_MONTHLY_TABLE = defineTable('revenue_category_monthly', [
  ['app_id', 'text'], ['month', 'char'], ['category', 'text'], ['developer_id', 'text'], ['currency', 'text'], ['gross_revenue_minor', 'numeric'],
  ['refunds_minor', 'numeric'], ['platform_split_minor', 'numeric'], ['platform_reversed_minor', 'numeric'],
  ['carve_outs_split_minor', 'numeric'], ['carve_outs_reversed_minor', 'numeric'],
]);

/** In creation order, for replay into fresh tables (`ProjectionHandler.tables`). */
export const UNIT_ECONOMICS_TABLES = [
  PRICE_BOOKS_TABLE, CONSUMPTION_DAILY_TABLE, CONSUMPTION_LATEST_TABLE, UNIT_ECONOMICS_MONTHLY_TABLE, REVENUE_CATEGORY_MONTHLY_TABLE,
] as const;

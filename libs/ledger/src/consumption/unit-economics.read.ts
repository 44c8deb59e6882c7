import {
  EXACT_AMOUNT_DECIMALS, formatExactDecimal, formatMoney, minorToZeptounits, parseSignedScaledDecimal, QUANTITY_DECIMALS_MAXIMUM,
  roundZeptounitsToMinor,
} from '@rsi/domain';
import type { ExportDefinition } from '../core/projection-export';

/** The row of `unit_economics_monthly` as text, as PostgreSQL prints numerics (exact). */
export type UnitEconomicsRow = Record<string, string | null>;

export const UNIT_ECONOMICS_COLUMNS = [
  'appId', 'developerId', 'currency', 'month', 'grossRevenue', 'refunds', 'platformShare', 'carveOuts', 'payPerUseEquivalent',
  'infrastructureCost', 'platformMargin', 'developerSaving', 'payPerUseEquivalentExact', 'infrastructureCostExact',
] as const;

export type UnitEconomicsFigures = Record<(typeof UNIT_ECONOMICS_COLUMNS)[number], string>;

/**
 * The figures of one app-month, each rounded ONCE, half-up, from its exact value:
 * platform share = platform line of the splits minus its reversals (net, minor units);
 * carve-outs likewise; pay-per-use equivalent = Σ quantity × listPrice; infrastructure
 * cost = Σ quantity × unitCost; platform margin = platform share − cost and developer
 * saving = pay-per-use − platform share, computed on the exact values and rounded once,
 * so that e.g. a margin is never the difference of two rounded figures.
 */
export function unitEconomicsFiguresOf(row: UnitEconomicsRow): UnitEconomicsFigures {
  const currency = row.currency!;
  const minor = (column: string) => BigInt(row[column]!);
  const exact = (column: string) => parseSignedScaledDecimal(row[column]!, EXACT_AMOUNT_DECIMALS);
  const platformShareMinor = minor('platform_split_minor') - minor('platform_reversed_minor');
  const carveOutsMinor = minor('carve_outs_split_minor') - minor('carve_outs_reversed_minor');
  const payPerUseZeptounits = exact('pay_per_use_exact');
  const costZeptounits = exact('infrastructure_cost_exact');
  const platformShareZeptounits = minorToZeptounits(platformShareMinor, currency);
  const money = (amountZeptounits: bigint) => formatMoney(roundZeptounitsToMinor(amountZeptounits, currency), currency);
  return {
    appId: row.app_id!, developerId: row.developer_id!, currency, month: row.month!,
    grossRevenue: formatMoney(minor('gross_revenue_minor'), currency),
    refunds: formatMoney(minor('refunds_minor'), currency),
    platformShare: formatMoney(platformShareMinor, currency),
    carveOuts: formatMoney(carveOutsMinor, currency),
    payPerUseEquivalent: money(payPerUseZeptounits),
    infrastructureCost: money(costZeptounits),
    platformMargin: money(platformShareZeptounits - costZeptounits),
    developerSaving: money(payPerUseZeptounits - platformShareZeptounits),
    payPerUseEquivalentExact: formatExactDecimal(payPerUseZeptounits, EXACT_AMOUNT_DECIMALS),
    infrastructureCostExact: formatExactDecimal(costZeptounits, EXACT_AMOUNT_DECIMALS),
  };
}

/** `$1`/`$2` bound months as in the platform-share export: [month of from, month of to). `$4` optionally one app. */
export const UNIT_ECONOMICS_SQL = `
  SELECT app_id, developer_id, currency, month, gross_revenue_minor::text AS gross_revenue_minor, refunds_minor::text AS refunds_minor,
         platform_split_minor::text AS platform_split_minor, platform_reversed_minor::text AS platform_reversed_minor,
         carve_outs_split_minor::text AS carve_outs_split_minor, carve_outs_reversed_minor::text AS carve_outs_reversed_minor,
         pay_per_use_exact::text AS pay_per_use_exact, infrastructure_cost_exact::text AS infrastructure_cost_exact
    FROM unit_economics_monthly
   WHERE ($1::timestamptz IS NULL OR month >= to_char($1::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM'))
     AND ($2::timestamptz IS NULL OR month < to_char($2::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM'))
     AND $3::timestamptz IS NOT NULL`;

const UNIT_ECONOMICS_EXPORT: ExportDefinition = {
  sql: `${UNIT_ECONOMICS_SQL} ORDER BY app_id, month`,
  columns: [...UNIT_ECONOMICS_COLUMNS],
  toObject: (row) => unitEconomicsFiguresOf(row),
};

const CONSUMPTION_EXPORT: ExportDefinition = {
  sql: `SELECT app_id, developer_id, meter, to_char(day, 'YYYY-MM-DD') AS day, quantity::text AS quantity, records::text AS records
          FROM consumption_daily
         WHERE ($1::timestamptz IS NULL OR day >= ($1::timestamptz AT TIME ZONE 'UTC')::date)
           AND ($2::timestamptz IS NULL OR day < ($2::timestamptz AT TIME ZONE 'UTC')::date) AND $3::timestamptz IS NOT NULL
         ORDER BY app_id, meter, day`,
  columns: ['appId', 'developerId', 'meter', 'day', 'quantity', 'records'],
  toObject: (row) => ({
    appId: row.app_id, developerId: row.developer_id, meter: row.meter, day: row.day,
    // Canonical form: "1500", "0.25" (PostgreSQL prints numeric(40,9) with 9 decimals).
    quantity: formatExactDecimal(parseSignedScaledDecimal(row.quantity!, QUANTITY_DECIMALS_MAXIMUM), QUANTITY_DECIMALS_MAXIMUM),
    records: row.records,
  }),
};

const PRICE_BOOKS_EXPORT: ExportDefinition = {
  sql: `SELECT price_book_id, currency, version::text AS version, effective_from::text AS effective_from, meters::text AS meters
          FROM price_books
         WHERE ($1::timestamptz IS NULL OR effective_from >= $1::timestamptz) AND ($2::timestamptz IS NULL OR effective_from < $2::timestamptz)
           AND $3::timestamptz IS NOT NULL
         ORDER BY currency, version`,
  columns: ['priceBookId', 'currency', 'version', 'effectiveFrom', 'meters'],
  toObject: (row) => ({
    priceBookId: row.price_book_id, currency: row.currency, version: Number(row.version),
    effectiveFrom: new Date(row.effective_from!).toISOString(), meters: JSON.parse(row.meters!),
  }),
};

/**
 * Revenue per app, UTC month and revenue category (docs/domain.md "Revenue categories"): the
 * revenue side of unit economics split by category. Net figures are split less reversals.
 */
export const REVENUE_CATEGORIES_SQL = `SELECT app_id, developer_id, currency, month, category, gross_revenue_minor::text AS gross_revenue_minor, refunds_minor::text AS refunds_minor,
               (platform_split_minor - platform_reversed_minor)::text AS platform_share_minor,
               (carve_outs_split_minor - carve_outs_reversed_minor)::text AS carve_outs_minor,
               (gross_revenue_minor - refunds_minor - (platform_split_minor - platform_reversed_minor) - (carve_outs_split_minor - carve_outs_reversed_minor))::text AS developer_share_minor
          FROM revenue_category_monthly
         WHERE ($1::timestamptz IS NULL OR month >= to_char($1::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM'))
           AND ($2::timestamptz IS NULL OR month < to_char($2::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM')) AND $3::timestamptz IS NOT NULL`;

export const REVENUE_CATEGORY_COLUMNS = [
  'appId', 'developerId', 'currency', 'month', 'category', 'grossRevenue', 'refunds', 'platformShare', 'carveOuts', 'developerShare',
] as const;

/** The figures of one app-month-category (a row of REVENUE_CATEGORIES_SQL), exact in minor units. */
export function revenueCategoryFiguresOf(row: UnitEconomicsRow): Record<(typeof REVENUE_CATEGORY_COLUMNS)[number], string> {
  const money = (column: string) => formatMoney(BigInt(row[column]!), row.currency!);
  return {
    appId: row.app_id!, developerId: row.developer_id!, currency: row.currency!, month: row.month!, category: row.category!,
    grossRevenue: money('gross_revenue_minor'), refunds: money('refunds_minor'), platformShare: money('platform_share_minor'),
    carveOuts: money('carve_outs_minor'), developerShare: money('developer_share_minor'),
  };
}

const REVENUE_CATEGORIES_EXPORT: ExportDefinition = {
  sql: `${REVENUE_CATEGORIES_SQL} ORDER BY app_id, month, category`,
  columns: [...REVENUE_CATEGORY_COLUMNS],
  toObject: (row) => revenueCategoryFiguresOf(row),
};

/** Consumption and unit economics' exports, all over the `unit-economics` projection's tables. */
export const CONSUMPTION_EXPORTS: Readonly<Record<string, ExportDefinition>> = {
  consumption: { ...CONSUMPTION_EXPORT, projection: 'unit-economics' },
  'unit-economics': { ...UNIT_ECONOMICS_EXPORT, projection: 'unit-economics' },
  'price-books': { ...PRICE_BOOKS_EXPORT, projection: 'unit-economics' },
  'revenue-categories': { ...REVENUE_CATEGORIES_EXPORT, projection: 'unit-economics' },
};

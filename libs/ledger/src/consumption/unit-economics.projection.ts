import type { PoolClient } from 'pg';
import {
  decodeConsumptionEvent, decodeDeveloperEvent, exactAmountZeptounits, formatQuantity, formatUnitPrice, formatZeptounits,
  parseUnitPrice, type ConsumptionRecorded, type DeveloperEvent,
} from '@rsi/domain';
import type { RecordedEvent } from '@rsi/event-store';
import type { ProjectionContext, ProjectionHandler, TableMergeRule } from '@rsi/projections';
import { bulkInsert, quoteIdentifier } from '@rsi/projections';
import {
  CONSUMPTION_DAILY_TABLE, CONSUMPTION_LATEST_TABLE, PRICE_BOOKS_TABLE, REVENUE_CATEGORY_MONTHLY_TABLE, UNIT_ECONOMICS_MONTHLY_TABLE, UNIT_ECONOMICS_TABLES,
} from './unit-economics.tables';

type MeterPrices = { listPricePicounits: bigint; unitCostPicounits: bigint };
/** Price books are immutable once published: kept in memory by id, bounded. */
const PRICE_BOOK_CACHE_ENTRIES_MAXIMUM = 10_000;

type DailyDelta = { developerId: string; quantityNanounits: bigint; records: bigint };
type MonthlyDelta = {
  developerId: string;
  currency: string;
  grossRevenueMinor: bigint;
  refundsMinor: bigint;
  platformSplitMinor: bigint;
  platformReversedMinor: bigint;
  carveOutsSplitMinor: bigint;
  carveOutsReversedMinor: bigint;
  payPerUseZeptounits: bigint;
  infrastructureCostZeptounits: bigint;
};

/**
 * The RSI side's read models, written in the projector's transaction with the batch:
 * - `price_books`: every published price book with its meters;
 * - `consumption_daily`: quantity per app, meter and UTC day of occurredAt (exact numeric);
 * - `consumption_latest`: the latest consumption occurredAt per currency (the price-book rule);
 * - `unit_economics_monthly`: per app and UTC month of occurredAt, in the contract currency,
 *   revenue-side sums in minor units and consumption priced EXACTLY (numeric(60,21), major
 *   units) by the price book each record names;
 * - `revenue_category_monthly`: the revenue side of the above per revenue category. Rounding to the minor unit happens once per
 *   figure at read time (`unit-economics.read.ts`), never here, so sums never drift.
 */
export class UnitEconomicsProjection implements ProjectionHandler {
  readonly name = 'unit-economics';
  readonly tables = UNIT_ECONOMICS_TABLES.map((table) => table.name);
  /**
   * The one read across streams: consumption (stream `consumption-<appId>`) is priced by
   * the price books its records name, published in other streams and read back from
   * `price_books`. So every share of a parallel rebuild applies every price book, in global
   * order with its own events, exactly as one projector meets them; `price_books` is then
   * the same in every share.
   */
  readonly sharedEventTypes = ['PriceBookPublished'];
  /** How a parallel rebuild merges the shares' rows (docs/architecture.md "Parallel replay"): every other table is a sum by key, or the greatest. */
  readonly mergeRules: Readonly<Record<string, TableMergeRule>> = {
    [PRICE_BOOKS_TABLE.name]: { kind: 'identical' },
    [CONSUMPTION_DAILY_TABLE.name]: { kind: 'combine', key: ['app_id', 'meter', 'day'], sum: ['quantity', 'records'], same: ['developer_id'] },
    [CONSUMPTION_LATEST_TABLE.name]: { kind: 'combine', key: ['currency'], greatest: ['latest_occurred_at'] },
    [UNIT_ECONOMICS_MONTHLY_TABLE.name]: {
      kind: 'combine', key: ['app_id', 'month'], same: ['developer_id', 'currency'],
      sum: ['gross_revenue_minor', 'refunds_minor', 'platform_split_minor', 'platform_reversed_minor', 'carve_outs_split_minor', 'carve_outs_reversed_minor', 'pay_per_use_exact', 'infrastructure_cost_exact'],
    },
    [REVENUE_CATEGORY_MONTHLY_TABLE.name]: {
      kind: 'combine', key: ['app_id', 'month', 'category'], same: ['developer_id', 'currency'],
      sum: ['gross_revenue_minor', 'refunds_minor', 'platform_split_minor', 'platform_reversed_minor', 'carve_outs_split_minor', 'carve_outs_reversed_minor'],
    },
  };

  private readonly priceBooks = new Map<string, Map<string, MeterPrices>>();

  async applyBatch(events: readonly RecordedEvent[], context: ProjectionContext): Promise<void> {
    const priceBookRows = PRICE_BOOKS_TABLE.rows();
    const daily = new Map<string, DailyDelta>();
    const monthly = new Map<string, MonthlyDelta>();
    const categoryMonthly = new Map<string, MonthlyDelta>();
    const latestByCurrency = new Map<string, string>();

    const monthlyOf = (appId: string, month: string, developerId: string, currency: string, category: string | null = null): MonthlyDelta => {
      const key = category === null ? `${appId}\u0000${month}` : `${appId}\u0000${month}\u0000${category}`;
      const deltas = category === null ? monthly : categoryMonthly;
      let delta = deltas.get(key);
      if (!delta) {
        delta = {
          developerId, currency, grossRevenueMinor: 0n, refundsMinor: 0n, platformSplitMinor: 0n, platformReversedMinor: 0n,
          carveOutsSplitMinor: 0n, carveOutsReversedMinor: 0n, payPerUseZeptounits: 0n, infrastructureCostZeptounits: 0n,
        };
        deltas.set(key, delta);
      }
      if (delta.currency !== currency) throw new Error(`invariant: app ${appId} has figures in ${delta.currency} and ${currency}`);
      return delta;
    };

    // First pass: price books (in order) and the price-book ids the consumption names.
    const neededPriceBookIds = new Set<string>();
    const decoded: ({ kind: 'developer'; event: DeveloperEvent } | { kind: 'consumption'; event: ConsumptionRecorded })[] = [];
    for (const recorded of events) {
      if (recorded.type === 'PriceBookPublished') {
        const event = decodeConsumptionEvent(recorded.type, recorded.data);
        if (event.type !== 'PriceBookPublished') continue;
        const data = event.data;
        this.rememberPriceBook(data.priceBookId, new Map(data.meters.map((meter) => [meter.meter, meter])));
        priceBookRows.add({
          price_book_id: data.priceBookId, currency: data.currency, version: data.version, effective_from: data.effectiveFrom,
          meters: JSON.stringify(data.meters.map((meter) => ({ meter: meter.meter, listPrice: formatUnitPrice(meter.listPricePicounits), unitCost: formatUnitPrice(meter.unitCostPicounits) }))),
          recorded_at: recorded.metadata.recordedAt,
        });
      } else if (recorded.type === 'ConsumptionRecorded') {
        const event = decodeConsumptionEvent(recorded.type, recorded.data) as ConsumptionRecorded;
        decoded.push({ kind: 'consumption', event });
        for (const record of event.data.records) if (!this.priceBooks.has(record.priceBookId)) neededPriceBookIds.add(record.priceBookId);
      } else if (recorded.type === 'RevenueRecorded' || recorded.type === 'RevenueRefunded') {
        decoded.push({ kind: 'developer', event: decodeDeveloperEvent(recorded.type, recorded.data) });
      }
    }
    await this.loadPriceBooks(context, [...neededPriceBookIds]);

    for (const item of decoded) {
      if (item.kind === 'developer') {
        const event = item.event;
        if (event.type !== 'RevenueRecorded' && event.type !== 'RevenueRefunded') continue;
        const data = event.data;
        const developerParty = `developer:${data.developerId}`;
        let platformMinor = 0n;
        let carveOutsMinor = 0n;
        for (const line of data.lines) {
          if (line.party === 'platform') platformMinor += line.amountMinor;
          else if (line.party !== developerParty) carveOutsMinor += line.amountMinor;
        }
        const month = data.occurredAt.slice(0, 7);
        for (const delta of [monthlyOf(data.appId, month, data.developerId, data.currency), monthlyOf(data.appId, month, data.developerId, data.currency, data.category)]) {
          if (event.type === 'RevenueRecorded') {
            delta.grossRevenueMinor += data.amountMinor;
            delta.platformSplitMinor += platformMinor;
            delta.carveOutsSplitMinor += carveOutsMinor;
          } else {
            delta.refundsMinor += data.amountMinor;
            delta.platformReversedMinor += platformMinor;
            delta.carveOutsReversedMinor += carveOutsMinor;
          }
        }
        continue;
      }
      const data = item.event.data;
      for (const record of data.records) {
        const prices = this.priceBooks.get(record.priceBookId)?.get(record.meter);
        if (prices === undefined) throw new Error(`invariant: record ${record.recordId} names price book ${record.priceBookId} without meter ${record.meter}`);
        const dailyKey = `${data.appId}\u0000${record.meter}\u0000${record.occurredAt.slice(0, 10)}`;
        let dailyDelta = daily.get(dailyKey);
        if (!dailyDelta) { dailyDelta = { developerId: data.developerId, quantityNanounits: 0n, records: 0n }; daily.set(dailyKey, dailyDelta); }
        dailyDelta.quantityNanounits += record.quantityNanounits;
        dailyDelta.records += 1n;
        const delta = monthlyOf(data.appId, record.occurredAt.slice(0, 7), data.developerId, data.currency);
        delta.payPerUseZeptounits += exactAmountZeptounits(record.quantityNanounits, prices.listPricePicounits);
        delta.infrastructureCostZeptounits += exactAmountZeptounits(record.quantityNanounits, prices.unitCostPicounits);
        const latest = latestByCurrency.get(data.currency);
        if (latest === undefined || latest < record.occurredAt) latestByCurrency.set(data.currency, record.occurredAt);
      }
    }

    await bulkInsert(context, priceBookRows);
    if (daily.size > 0) {
      const rows = CONSUMPTION_DAILY_TABLE.rows();
      for (const [key, delta] of daily) {
        const [appId, meter, day] = key.split('\u0000');
        rows.add({
          app_id: appId!, developer_id: delta.developerId, meter: meter!, day: day!, quantity: formatQuantity(delta.quantityNanounits),
          records: delta.records,
        });
      }
      await bulkInsert(context, rows, `ON CONFLICT (app_id, meter, day) DO UPDATE SET
          quantity = consumption_daily.quantity + EXCLUDED.quantity,
          records = consumption_daily.records + EXCLUDED.records`);
    }
    if (latestByCurrency.size > 0) {
      const rows = CONSUMPTION_LATEST_TABLE.rows();
      for (const [currency, latestOccurredAt] of latestByCurrency) rows.add({ currency, latest_occurred_at: latestOccurredAt });
      await bulkInsert(context, rows, `ON CONFLICT (currency) DO UPDATE SET
          latest_occurred_at = GREATEST(consumption_latest.latest_occurred_at, EXCLUDED.latest_occurred_at)`);
    }
    if (monthly.size > 0) {
      const rows = UNIT_ECONOMICS_MONTHLY_TABLE.rows();
      for (const [key, delta] of monthly) {
        const [appId, month] = key.split('\u0000');
        rows.add({
          app_id: appId!, month: month!, developer_id: delta.developerId, currency: delta.currency,
          gross_revenue_minor: delta.grossRevenueMinor, refunds_minor: delta.refundsMinor,
          platform_split_minor: delta.platformSplitMinor, platform_reversed_minor: delta.platformReversedMinor,
          carve_outs_split_minor: delta.carveOutsSplitMinor, carve_outs_reversed_minor: delta.carveOutsReversedMinor,
          pay_per_use_exact: formatZeptounits(delta.payPerUseZeptounits),
          infrastructure_cost_exact: formatZeptounits(delta.infrastructureCostZeptounits),
        });
      }
      await bulkInsert(context, rows, `ON CONFLICT (app_id, month) DO UPDATE SET
          gross_revenue_minor = unit_economics_monthly.gross_revenue_minor + EXCLUDED.gross_revenue_minor,
          refunds_minor = unit_economics_monthly.refunds_minor + EXCLUDED.refunds_minor,
          platform_split_minor = unit_economics_monthly.platform_split_minor + EXCLUDED.platform_split_minor,
          platform_reversed_minor = unit_economics_monthly.platform_reversed_minor + EXCLUDED.platform_reversed_minor,
          carve_outs_split_minor = unit_economics_monthly.carve_outs_split_minor + EXCLUDED.carve_outs_split_minor,
          carve_outs_reversed_minor = unit_economics_monthly.carve_outs_reversed_minor + EXCLUDED.carve_outs_reversed_minor,
          pay_per_use_exact = unit_economics_monthly.pay_per_use_exact + EXCLUDED.pay_per_use_exact,
          infrastructure_cost_exact = unit_economics_monthly.infrastructure_cost_exact + EXCLUDED.infrastructure_cost_exact`);
    }
    if (categoryMonthly.size > 0) {
      const rows = REVENUE_CATEGORY_MONTHLY_TABLE.rows();
      for (const [key, delta] of categoryMonthly) {
        const [appId, month, category] = key.split('\u0000');
        rows.add({
          app_id: appId!, month: month!, category: category!, developer_id: delta.developerId, currency: delta.currency,
          gross_revenue_minor: delta.grossRevenueMinor, refunds_minor: delta.refundsMinor,
          platform_split_minor: delta.platformSplitMinor, platform_reversed_minor: delta.platformReversedMinor,
          carve_outs_split_minor: delta.carveOutsSplitMinor, carve_outs_reversed_minor: delta.carveOutsReversedMinor,
        });
      }
      await bulkInsert(context, rows, `ON CONFLICT (app_id, month, category) DO UPDATE SET
          gross_revenue_minor = revenue_category_monthly.gross_revenue_minor + EXCLUDED.gross_revenue_minor,
          refunds_minor = revenue_category_monthly.refunds_minor + EXCLUDED.refunds_minor,
          platform_split_minor = revenue_category_monthly.platform_split_minor + EXCLUDED.platform_split_minor,
          platform_reversed_minor = revenue_category_monthly.platform_reversed_minor + EXCLUDED.platform_reversed_minor,
          carve_outs_split_minor = revenue_category_monthly.carve_outs_split_minor + EXCLUDED.carve_outs_split_minor,
          carve_outs_reversed_minor = revenue_category_monthly.carve_outs_reversed_minor + EXCLUDED.carve_outs_reversed_minor`);
    }
  }

  private rememberPriceBook(priceBookId: string, meters: Map<string, MeterPrices>): void {
    if (this.priceBooks.size >= PRICE_BOOK_CACHE_ENTRIES_MAXIMUM) this.priceBooks.clear();
    this.priceBooks.set(priceBookId, meters);
  }

  /** Price books published in earlier batches, read in this transaction. */
  private async loadPriceBooks(context: { client: PoolClient; schema: string }, priceBookIds: string[]): Promise<void> {
    if (priceBookIds.length === 0) return;
    const result = await context.client.query(
      `SELECT price_book_id, meters::text AS meters FROM ${quoteIdentifier(context.schema)}.${quoteIdentifier(PRICE_BOOKS_TABLE.name)} WHERE price_book_id = ANY($1::text[])`,
      [priceBookIds],
    );
    for (const row of result.rows as { price_book_id: string; meters: string }[]) {
      const meters = JSON.parse(row.meters) as { meter: string; listPrice: string; unitCost: string }[];
      this.rememberPriceBook(row.price_book_id, new Map(meters.map((meter) => [meter.meter, {
        listPricePicounits: parseUnitPrice(meter.listPrice, 'listPrice'), unitCostPicounits: parseUnitPrice(meter.unitCost, 'unitCost'),
      }])));
    }
    for (const priceBookId of priceBookIds) {
      if (!this.priceBooks.has(priceBookId)) throw new Error(`invariant: consumption names price book ${priceBookId}, which is not projected`);
    }
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Read models of the RSI side (libs/projections/src/unit-economics.projection.ts).
 * Quantities are numeric(40,9): exact, 9 decimals like the domain's quantities. Priced
 * amounts are numeric(60,21) in MAJOR units: quantity (9 decimals) × unit price (12
 * decimals) is exact with 21 decimals, and sums of exact values stay exact. They are
 * rounded once, half-up, to the currency's minor unit when read or exported. Revenue-side
 * figures are minor units, numeric(38,0), like the ledger's read models.
 */
export class UnitEconomics1700000000004 implements MigrationInterface {
  name = 'UnitEconomics1700000000004';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE price_books (
        price_book_id text PRIMARY KEY,
        currency text NOT NULL,
        version integer NOT NULL,
        effective_from timestamptz NOT NULL,
        -- [{meter, listPrice, unitCost}], prices as canonical decimal strings per meter unit.
        meters jsonb NOT NULL,
        recorded_at timestamptz NOT NULL,
        UNIQUE (currency, version)
      );

      CREATE TABLE consumption_daily (
        app_id text NOT NULL,
        developer_id text NOT NULL,
        meter text NOT NULL,
        day date NOT NULL,
        quantity numeric(40,9) NOT NULL CHECK (quantity >= 0),
        records bigint NOT NULL CHECK (records > 0),
        PRIMARY KEY (app_id, meter, day)
      );
      CREATE INDEX consumption_daily_by_day ON consumption_daily (day);

      -- A new price book must take effect after this, so that no recorded consumption is priced again.
      CREATE TABLE consumption_latest (
        currency text PRIMARY KEY,
        latest_occurred_at timestamptz NOT NULL
      );

      CREATE TABLE unit_economics_monthly (
        app_id text NOT NULL,
        month char(7) NOT NULL,
        developer_id text NOT NULL,
        currency text NOT NULL,
        gross_revenue_minor numeric(38,0) NOT NULL DEFAULT 0,
        refunds_minor numeric(38,0) NOT NULL DEFAULT 0,
        platform_split_minor numeric(38,0) NOT NULL DEFAULT 0,
        platform_reversed_minor numeric(38,0) NOT NULL DEFAULT 0,
        carve_outs_split_minor numeric(38,0) NOT NULL DEFAULT 0,
        carve_outs_reversed_minor numeric(38,0) NOT NULL DEFAULT 0,
        pay_per_use_exact numeric(60,21) NOT NULL DEFAULT 0,
        infrastructure_cost_exact numeric(60,21) NOT NULL DEFAULT 0,
        PRIMARY KEY (app_id, month)
      );
      CREATE INDEX unit_economics_monthly_by_month ON unit_economics_monthly (month);
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE unit_economics_monthly, consumption_latest, consumption_daily, price_books');
  }
}

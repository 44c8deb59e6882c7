import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Revenue categories (docs/domain.md "Revenue categories"): every split and refund row names
 * its receipt's category, the ledger entries of a receipt or refund name it too, and the
 * unit-economics projection sums revenue per app, UTC month and category. Rows recorded
 * before categories are purchases, which is what their events decode to: the default fills
 * them, so no replay is needed. `ledger_postings.category` holds only the categories other
 * than purchase (null otherwise, so that no existing row is rewritten and a rebuilt table
 * equals a migrated one); the view `ledger_entries` says `purchase` for the postings of a
 * receipt or refund without one, and null for every other event. The CHECK lists
 * REVENUE_CATEGORIES (libs/domain/src/contract/revenue-category.ts) as of this migration.
 */
export class RevenueCategories1700000000017 implements MigrationInterface {
  name = 'RevenueCategories1700000000017';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE splits
        ADD COLUMN category text NOT NULL DEFAULT 'purchase' CONSTRAINT splits_category_known CHECK (category IN ('purchase', 'subscription', 'advertising'));
      ALTER TABLE refunds
        ADD COLUMN category text NOT NULL DEFAULT 'purchase' CONSTRAINT refunds_category_known CHECK (category IN ('purchase', 'subscription', 'advertising'));
      CREATE TABLE revenue_category_monthly (
        app_id text NOT NULL,
        month char(7) NOT NULL,
        category text NOT NULL CONSTRAINT revenue_category_monthly_category_known CHECK (category IN ('purchase', 'subscription', 'advertising')),
        developer_id text NOT NULL,
        currency text NOT NULL,
        gross_revenue_minor numeric(38,0) NOT NULL DEFAULT 0,
        refunds_minor numeric(38,0) NOT NULL DEFAULT 0,
        platform_split_minor numeric(38,0) NOT NULL DEFAULT 0,
        platform_reversed_minor numeric(38,0) NOT NULL DEFAULT 0,
        carve_outs_split_minor numeric(38,0) NOT NULL DEFAULT 0,
        carve_outs_reversed_minor numeric(38,0) NOT NULL DEFAULT 0,
        PRIMARY KEY (app_id, month, category)
      );
      CREATE INDEX revenue_category_monthly_by_month ON revenue_category_monthly (month);

      ALTER TABLE ledger_postings
        ADD COLUMN category text CONSTRAINT ledger_postings_category_known CHECK (category IN ('subscription', 'advertising'));
      CREATE OR REPLACE VIEW ledger_entries AS
      SELECT p.event_id, (t.ordinality - 1)::smallint AS posting_index, p.commit_position, p.prepare_position, p.event_type,
             t.account, p.currency, t.amount_minor, p.occurred_at, p.recorded_at,
             CASE WHEN p.event_type IN ('RevenueRecorded', 'RevenueRefunded') THEN COALESCE(p.category, 'purchase') END AS category
        FROM ledger_postings p
        CROSS JOIN LATERAL unnest(p.accounts, p.amounts_minor) WITH ORDINALITY AS t(account, amount_minor, ordinality);
    `);
    // Receipts projected before this migration are purchases: each app-month's revenue sums are
    // those of unit_economics_monthly (same projection, so the same checkpoint).
    await queryRunner.query(`
      INSERT INTO revenue_category_monthly (app_id, month, category, developer_id, currency, gross_revenue_minor, refunds_minor,
                                            platform_split_minor, platform_reversed_minor, carve_outs_split_minor, carve_outs_reversed_minor)
      SELECT u.app_id, u.month, 'purchase', u.developer_id, u.currency, u.gross_revenue_minor, u.refunds_minor, u.platform_split_minor,
             u.platform_reversed_minor, u.carve_outs_split_minor, u.carve_outs_reversed_minor
        FROM unit_economics_monthly u
       WHERE u.gross_revenue_minor <> 0 OR u.refunds_minor <> 0
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP VIEW ledger_entries;
      CREATE VIEW ledger_entries AS
      SELECT p.event_id, (t.ordinality - 1)::smallint AS posting_index, p.commit_position, p.prepare_position, p.event_type,
             t.account, p.currency, t.amount_minor, p.occurred_at, p.recorded_at
        FROM ledger_postings p
        CROSS JOIN LATERAL unnest(p.accounts, p.amounts_minor) WITH ORDINALITY AS t(account, amount_minor, ordinality);
      ALTER TABLE ledger_postings DROP COLUMN category;
      DROP TABLE revenue_category_monthly;
      ALTER TABLE refunds DROP COLUMN category;
      ALTER TABLE splits DROP COLUMN category;
    `);
  }
}

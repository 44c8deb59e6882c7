import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payouts in another currency (docs/domain.md "Payouts in another currency"): what a payout
 * pays in its payout currency, at which rate from which source, under which rounding rule.
 * All null for a payout in its own currency (every payout before this migration), all set for
 * a converted one. The widths are the domain's limits (ledger-limits.ts): a currency code of
 * 3 letters, a rate of at most 32 characters, a source of at most 200, an amount of at most
 * 10^15 minor units.
 */
export class PayoutConversions1700000000015 implements MigrationInterface {
  name = 'PayoutConversions1700000000015';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE payouts
        ADD COLUMN payout_currency text CHECK (char_length(payout_currency) = 3),
        ADD COLUMN payout_amount_minor numeric(38,0) CHECK (payout_amount_minor > 0 AND payout_amount_minor <= 1000000000000000),
        ADD COLUMN fx_rate text CHECK (char_length(fx_rate) BETWEEN 1 AND 32),
        ADD COLUMN fx_source text CHECK (char_length(fx_source) BETWEEN 1 AND 200),
        ADD COLUMN fx_rule_version integer CHECK (fx_rule_version > 0),
        ADD CONSTRAINT payouts_conversion_whole CHECK (
          (payout_currency IS NULL AND payout_amount_minor IS NULL AND fx_rate IS NULL AND fx_source IS NULL AND fx_rule_version IS NULL)
          OR (payout_currency IS NOT NULL AND payout_amount_minor IS NOT NULL AND fx_rate IS NOT NULL AND fx_source IS NOT NULL AND fx_rule_version IS NOT NULL)
        );
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE payouts DROP CONSTRAINT payouts_conversion_whole,
        DROP COLUMN fx_rule_version, DROP COLUMN fx_source, DROP COLUMN fx_rate, DROP COLUMN payout_amount_minor, DROP COLUMN payout_currency;
    `);
  }
}

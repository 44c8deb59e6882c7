import * as crypto from 'node:crypto';
import pg from 'pg';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { allMigrations } from '../migrations';
import { runAsAdministrator } from './support/test-database';

/**
 * Migration 0017 (revenue categories) on a database migrated to the migration before it, with
 * a split, a refund and a month of unit economics already projected: they become purchases
 * (what their events decode to), the month's revenue is carried into revenue_category_monthly,
 * a category outside the set is refused by the tables, and `down` undoes it.
 */
const serverUrl = process.env.DATABASE_URL?.trim();
const describeOnServer = serverUrl ? describe : describe.skip;

function queryRunnerOn(client: pg.Client): QueryRunner {
  return { query: (sql: string, parameters?: unknown[]) => client.query(sql, parameters).then((result) => result.rows) } as unknown as QueryRunner;
}

describeOnServer('migration 0017 (revenue categories)', () => {
  const databaseName = `rsi_test_migration_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  let client: pg.Client;
  let migration: MigrationInterface;

  beforeAll(async () => {
    await runAsAdministrator(serverUrl!, `CREATE DATABASE ${databaseName}`);
    const url = new URL(serverUrl!);
    url.pathname = `/${databaseName}`;
    client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    const migrations = allMigrations.map((Migration) => new Migration());
    const index = migrations.findIndex((candidate) => candidate.name === 'RevenueCategories1700000000017');
    expect(index).toBeGreaterThan(0);
    migration = migrations[index]!;
    for (const earlier of migrations.slice(0, index)) await earlier.up(queryRunnerOn(client));
    const hash = 'a'.repeat(64);
    await client.query(`
      INSERT INTO splits (receipt_id, app_id, developer_id, currency, amount_minor, occurred_at, available_at, recorded_at, contract_version, contract_hash,
                          split_rule_version, platform_minor, developer_minor, lines, event_id, commit_position, prepare_position)
      VALUES ('r-1', 'app-1', 'dev-1', 'USD', 10000, '2026-01-10T00:00:00Z', '2026-01-24T00:00:00Z', '2026-01-10T00:00:01Z', 1, '${hash}', 1, 1500, 8500,
              '[{"party":"platform","amountMinor":"1500"},{"party":"developer:dev-1","amountMinor":"8500"}]', '${crypto.randomUUID()}', 10, 10)`);
    await client.query(`
      INSERT INTO refunds (refund_id, receipt_id, app_id, developer_id, currency, amount_minor, occurred_at, recorded_at, contract_version, contract_hash,
                           split_rule_version, developer_minor, lines, event_id, commit_position, prepare_position)
      VALUES ('f-1', 'r-1', 'app-1', 'dev-1', 'USD', 1000, '2026-01-11T00:00:00Z', '2026-01-11T00:00:01Z', 1, '${hash}', 1, 850,
              '[{"party":"platform","amountMinor":"150"},{"party":"developer:dev-1","amountMinor":"850"}]', '${crypto.randomUUID()}', 11, 11)`);
    await client.query(`
      INSERT INTO unit_economics_monthly (app_id, month, developer_id, currency, gross_revenue_minor, refunds_minor, platform_split_minor, platform_reversed_minor,
                                          pay_per_use_exact, infrastructure_cost_exact)
      VALUES ('app-1', '2026-01', 'dev-1', 'USD', 10000, 1000, 1500, 150, 0, 0), ('app-2', '2026-01', 'dev-1', 'USD', 0, 0, 0, 0, 12.5, 3)`);
    await migration.up(queryRunnerOn(client));
  });

  afterAll(async () => {
    await client?.end();
    await runAsAdministrator(serverUrl!, `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
  });

  it('makes the rows projected before it purchases, and carries the revenue of each app-month into revenue_category_monthly', async () => {
    expect((await client.query(`SELECT category FROM splits`)).rows).toEqual([{ category: 'purchase' }]);
    expect((await client.query(`SELECT category FROM refunds`)).rows).toEqual([{ category: 'purchase' }]);
    const categories = await client.query(`SELECT app_id, month, category, gross_revenue_minor::text AS gross, refunds_minor::text AS refunds,
                                                  platform_split_minor::text AS split, platform_reversed_minor::text AS reversed FROM revenue_category_monthly`);
    // The consumption-only month of app-2 has no revenue, so no category row.
    expect(categories.rows).toEqual([{ app_id: 'app-1', month: '2026-01', category: 'purchase', gross: '10000', refunds: '1000', split: '1500', reversed: '150' }]);
  });

  it('names the category of a receipt\'s ledger entries: purchase when the postings hold none, null for other events', async () => {
    await client.query(`
      INSERT INTO ledger_postings (commit_position, prepare_position, event_id, event_type, currency, accounts, amounts_minor, occurred_at, recorded_at, category)
      VALUES (10, 10, '${crypto.randomUUID()}', 'RevenueRecorded', 'USD', '{revenue:clearing,platform}', '{-100,100}', now(), now(), NULL),
             (12, 12, '${crypto.randomUUID()}', 'RevenueRecorded', 'USD', '{revenue:clearing,platform}', '{-100,100}', now(), now(), 'subscription'),
             (13, 13, '${crypto.randomUUID()}', 'PayoutRequested', 'USD', '{developer:dev-1,payouts:in-flight}', '{-100,100}', now(), now(), NULL)`);
    const entries = await client.query(`SELECT commit_position::text AS position, category FROM ledger_entries WHERE posting_index = 0 ORDER BY commit_position`);
    expect(entries.rows).toEqual([{ position: '10', category: 'purchase' }, { position: '12', category: 'subscription' }, { position: '13', category: null }]);
    // Purchase is never stored: it is what null says.
    await expect(client.query(`UPDATE ledger_postings SET category = 'purchase' WHERE commit_position = 10`)).rejects.toThrow(/ledger_postings_category_known/);
    await client.query('DELETE FROM ledger_postings');
  });

  it('refuses a category outside the set in every table', async () => {
    await expect(client.query(`UPDATE splits SET category = 'donation'`)).rejects.toThrow(/splits_category_known/);
    await expect(client.query(`UPDATE refunds SET category = 'Purchase'`)).rejects.toThrow(/refunds_category_known/);
    await expect(client.query(`UPDATE revenue_category_monthly SET category = ''`)).rejects.toThrow(/revenue_category_monthly_category_known/);
  });

  it('is undone by down', async () => {
    await migration.down(queryRunnerOn(client));
    const columns = await client.query(`SELECT table_name FROM information_schema.columns WHERE column_name = 'category' AND table_schema = 'public'`);
    // ledger_entries (the view) is back to its columns before 0017.
    expect(columns.rows).toEqual([]);
    expect((await client.query(`SELECT to_regclass('revenue_category_monthly') AS name`)).rows[0].name).toBeNull();
  });
});

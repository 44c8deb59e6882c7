import * as crypto from 'node:crypto';
import pg from 'pg';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { allMigrations } from '../migrations';
import { runAsAdministrator } from './support/test-database';

/**
 * Migration 0005 on a database that already holds a ledger written under 0001–0004: the
 * events keep their documents, the ledger entries come out of the new view exactly as they
 * were stored, and `down` gives the old tables back with the same rows.
 * The migrations' own SQL runs on a real PostgreSQL, one after the other, as the runner does.
 */
const serverUrl = process.env.DATABASE_URL?.trim();
const describeOnServer = serverUrl ? describe : describe.skip;
if (!serverUrl) process.stdout.write('migration 0005 spec skipped: it needs DATABASE_URL (a PostgreSQL server)\n');

function queryRunnerOn(client: pg.Client): QueryRunner {
  return { query: (sql: string, parameters?: unknown[]) => client.query(sql, parameters).then((result) => result.rows) } as unknown as QueryRunner;
}

const ENTRY_COLUMNS = `event_id::text, posting_index, commit_position::text, prepare_position::text, event_type, account, currency,
  amount_minor::text, occurred_at, recorded_at`;

describeOnServer('migration 0005 (compact rows) on an existing ledger', () => {
  const databaseName = `rsi_test_migration_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  let client: pg.Client;
  let migrations: MigrationInterface[];

  beforeAll(async () => {
    await runAsAdministrator(serverUrl!, `CREATE DATABASE ${databaseName}`);
    const url = new URL(serverUrl!);
    url.pathname = `/${databaseName}`;
    client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    migrations = allMigrations.map((Migration) => new Migration());
    expect(migrations[4]!.name).toBe('CompactRows1700000000005');
    for (const migration of migrations.slice(0, 4)) await migration.up(queryRunnerOn(client));
  });

  afterAll(async () => {
    await client?.end();
    await runAsAdministrator(serverUrl!, `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
  });

  it('keeps every event document, turns five entry rows into one postings row, and the view gives the entries back', async () => {
    const receiptEventId = crypto.randomUUID();
    const payoutEventId = crypto.randomUUID();
    const receiptData = { receiptId: 'r-1', amountMinor: '10000', text: 'naïve "quoted" \\ ✓', lines: [{ party: 'platform', amountMinor: '1500' }] };
    await client.query(
      `INSERT INTO events (stream_name, stream_version, event_id, type, data, metadata) VALUES
        ('developer-a', 0, $1, 'RevenueRecorded', $2::jsonb, '{"commandId":"RecordRevenue:r-1"}'::jsonb),
        ('developer-a', 1, $3, 'PayoutRequested', '{"payoutId":"p-1"}'::jsonb, '{"commandId":"RequestPayout:p-1"}'::jsonb)`,
      [receiptEventId, JSON.stringify(receiptData), payoutEventId],
    );
    await client.query(
      `INSERT INTO ledger_entries (event_id, posting_index, commit_position, prepare_position, event_type, account, currency, amount_minor, occurred_at, recorded_at) VALUES
        ($1, 0, 900, 1, 'RevenueRecorded', 'revenue:clearing', 'USD', -10000, '2026-02-01T00:00:00Z', '2026-02-01T00:00:01Z'),
        ($1, 1, 900, 1, 'RevenueRecorded', 'platform', 'USD', 1500, '2026-02-01T00:00:00Z', '2026-02-01T00:00:01Z'),
        ($1, 2, 900, 1, 'RevenueRecorded', 'provider:acme "models"', 'USD', 500, '2026-02-01T00:00:00Z', '2026-02-01T00:00:01Z'),
        ($1, 3, 900, 1, 'RevenueRecorded', 'referrer:hub-0', 'USD', 100, '2026-02-01T00:00:00Z', '2026-02-01T00:00:01Z'),
        ($1, 4, 900, 1, 'RevenueRecorded', 'developer:a', 'USD', 7900, '2026-02-01T00:00:00Z', '2026-02-01T00:00:01Z'),
        ($2, 0, 901, 2, 'PayoutRequested', 'developer:a', 'USD', -5000, '2026-03-01T00:00:00Z', '2026-03-01T00:00:00Z'),
        ($2, 1, 901, 2, 'PayoutRequested', 'payouts:in-flight', 'USD', 5000, '2026-03-01T00:00:00Z', '2026-03-01T00:00:00Z')`,
      [receiptEventId, payoutEventId],
    );
    await client.query(`INSERT INTO directory_receipts VALUES ('r-1', 'a')`);
    const entriesBefore = (await client.query(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries ORDER BY 3, 4, 2`)).rows;

    await migrations[4]!.up(queryRunnerOn(client));

    const types = await client.query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'events' AND column_name IN ('data', 'metadata') ORDER BY 1`,
    );
    expect(types.rows).toEqual([{ column_name: 'data', data_type: 'json' }, { column_name: 'metadata', data_type: 'json' }]);
    const stored = await client.query(`SELECT data FROM events WHERE event_id = $1`, [receiptEventId]);
    expect(stored.rows[0].data).toEqual(receiptData);

    const postings = await client.query(`SELECT event_id::text, accounts, amounts_minor::text[] AS amounts FROM ledger_postings ORDER BY commit_position`);
    expect(postings.rows).toEqual([
      { event_id: receiptEventId, accounts: ['revenue:clearing', 'platform', 'provider:acme "models"', 'referrer:hub-0', 'developer:a'], amounts: ['-10000', '1500', '500', '100', '7900'] },
      { event_id: payoutEventId, accounts: ['developer:a', 'payouts:in-flight'], amounts: ['-5000', '5000'] },
    ]);
    expect((await client.query(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries ORDER BY 3, 4, 2`)).rows).toEqual(entriesBefore);
    expect((await client.query(`SELECT to_regclass('directory_receipts') AS table_name`)).rows[0].table_name).toBeNull();

    // A postings row whose arrays do not pair up is refused by the table itself.
    await expect(client.query(
      `INSERT INTO ledger_postings VALUES (902, 3, $1, 'PayoutSettled', 'USD', '{"a","b"}', '{1}', now(), now())`, [crypto.randomUUID()],
    )).rejects.toThrow(/ledger_postings_parallel_arrays/);

    await migrations[4]!.down(queryRunnerOn(client));
    expect((await client.query(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries ORDER BY 3, 4, 2`)).rows).toEqual(entriesBefore);
    expect((await client.query(`SELECT receipt_id, developer_id FROM directory_receipts`)).rows).toEqual([]);
    const restored = await client.query(`SELECT pg_typeof(data)::text AS type, data FROM events WHERE event_id = $1`, [receiptEventId]);
    expect(restored.rows[0]).toEqual({ type: 'jsonb', data: receiptData });
  });
});

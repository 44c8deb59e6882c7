import * as crypto from 'node:crypto';
import pg from 'pg';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { allMigrations } from '../migrations';
import { runAsAdministrator } from './support/test-database';

/**
 * Migration 0006 on a database migrated to 0005: the table of events a projection could
 * not apply, whose constraints keep the record honest (one open failure per projection and
 * stream, a skip always says why, a resolution always says who and when), and `down`.
 */
const serverUrl = process.env.DATABASE_URL?.trim();
const describeOnServer = serverUrl ? describe : describe.skip;
if (!serverUrl) process.stdout.write('migration 0006 spec skipped: it needs DATABASE_URL (a PostgreSQL server)\n');

function queryRunnerOn(client: pg.Client): QueryRunner {
  return { query: (sql: string, parameters?: unknown[]) => client.query(sql, parameters).then((result) => result.rows) } as unknown as QueryRunner;
}

describeOnServer('migration 0006 (projection failures)', () => {
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
    expect(migrations[5]!.name).toBe('ProjectionFailures1700000000006');
    for (const migration of migrations.slice(0, 6)) await migration.up(queryRunnerOn(client));
  });

  afterAll(async () => {
    await client?.end();
    await runAsAdministrator(serverUrl!, `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
  });

  const insertOpen = (streamName: string, eventId = crypto.randomUUID()) => client.query(
    `INSERT INTO projection_failures (projection_name, commit_position, prepare_position, event_id, stream_name, stream_version, event_type, error_message)
     VALUES ('ledger', 900, 1, $1, $2, 3, 'RevenueRecorded', 'RevenueRecorded.availableAt: a normalised instant is required') RETURNING failure_id`,
    [eventId, streamName],
  );

  it('holds one open failure per projection and stream, and a resolution says who, when and (for a skip) why', async () => {
    const first = (await insertOpen('developer-pat')).rows[0].failure_id;
    await expect(insertOpen('developer-pat')).rejects.toThrow(/projection_failures_one_open_per_stream/);
    await insertOpen('developer-qin');

    await expect(client.query(`UPDATE projection_failures SET resolution = 'skipped', resolved_by = 'cli:op', resolved_at = now() WHERE failure_id = $1`, [first]))
      .rejects.toThrow(/projection_failures_skip_has_reason/);
    await expect(client.query(`UPDATE projection_failures SET resolution = 'skipped', resolved_by = 'cli:op', resolved_at = now(), resolution_reason = '  ' WHERE failure_id = $1`, [first]))
      .rejects.toThrow(/projection_failures_skip_has_reason/);
    await expect(client.query(`UPDATE projection_failures SET resolution = 'retried' WHERE failure_id = $1`, [first]))
      .rejects.toThrow(/projection_failures_resolution_complete/);
    await expect(client.query(`UPDATE projection_failures SET resolution = 'ignored', resolved_by = 'x', resolved_at = now() WHERE failure_id = $1`, [first]))
      .rejects.toThrow(/projection_failures_resolution_known/);
    await client.query(`UPDATE projection_failures SET resolution = 'skipped', resolved_by = 'cli:op', resolved_at = now(), resolution_reason = 'typo' WHERE failure_id = $1`, [first]);
    // Resolved, the stream may fail again later (at another event).
    await insertOpen('developer-pat');
    expect((await client.query(`SELECT count(*)::int AS count FROM projection_failures WHERE resolution IS NULL`)).rows[0].count).toBe(2);

    await migrations[5]!.down(queryRunnerOn(client));
    expect((await client.query(`SELECT to_regclass('projection_failures') AS table_name`)).rows[0].table_name).toBeNull();
  });
});

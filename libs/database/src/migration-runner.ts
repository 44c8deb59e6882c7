import type { Migration } from 'typeorm';
import type { DatabaseConnection } from './database-connection';

/**
 * Runs the pending migrations of `migrations/index.ts` in order, each in its own
 * transaction, so that a failure leaves every earlier migration applied and recorded.
 * Two processes starting together are serialised by an advisory lock (without it both
 * could try to apply the same migration).
 */
export async function runMigrations(connection: DatabaseConnection): Promise<Migration[]> {
  // The lock holds one connection while TypeORM migrates on another: with a pool of one
  // (always when embedded, where one process owns the data directory anyway) it is skipped.
  if (connection.poolSizeMaximum < 2) {
    return connection.dataSource.runMigrations({ transaction: 'each' });
  }
  const client = await connection.pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_ADVISORY_LOCK_KEY]);
    return await connection.dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_ADVISORY_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
}

/** Arbitrary but fixed: "rsi-migr" as a number. */
const MIGRATION_ADVISORY_LOCK_KEY = '7237016405001';

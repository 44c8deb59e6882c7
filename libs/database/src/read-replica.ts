import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { DATABASE_CONNECT_TIMEOUT_MILLISECONDS, exactNumberTypes, ListenedDatabaseClient, type DatabaseConnection } from './database-connection';
import type { DatabaseSettings } from './database-settings';
import { isDatabaseUnavailableError } from './database-unavailable';

/** Injection token of the `ReadReplica` (provided by `DatabaseModule`). */
export const READ_REPLICA = Symbol('READ_REPLICA');

/**
 * Connections to the standby: stale-tolerant reads are few and long (exports), and each
 * API instance has its own pool, so a handful per instance is enough.
 */
const READ_REPLICA_POOL_SIZE_MAXIMUM = 4;
const READ_REPLICA_IDLE_CONNECTION_TIMEOUT_MILLISECONDS = 30_000;

/**
 * How far the standby's replay trails, measured on the standby itself. When it has replayed
 * everything it received the lag is 0 (with synchronous replication it has received every
 * acknowledged commit); otherwise the age of the last transaction it replayed. A server
 * that is not in recovery (the URL reaches a primary) has no lag. Null: unknown (a standby
 * that has replayed nothing since it started).
 */
const REPLICA_LAG_SQL = `
  SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE greatest(0, floor(extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000))
  END::text AS lag_milliseconds`;

/** Where a stale-tolerant read runs, and how stale it may be. */
export type StaleTolerantReader = {
  pool: pg.Pool;
  /** `replica`: the standby of `DATABASE_READ_URL`; `primary`: none is configured, or it did not answer. */
  source: 'replica' | 'primary';
  /** The standby's replay lag when read from it (null: unknown); null when read from the primary. */
  lagMilliseconds: number | null;
};

/**
 * The read replica (`DATABASE_READ_URL`) for reads where staleness is acceptable: exports and
 * unit economics. Reads that must see their own writes (balances, a receipt's split, command
 * routing) never come here; they use the primary's pool. When the standby cannot be reached
 * the read falls back to the primary (a standby outage must not become a read outage); the
 * response says which one answered.
 */
@Injectable()
export class ReadReplica implements OnApplicationShutdown {
  private readonly logger = new Logger('ReadReplica');
  private readonly replicaPool: pg.Pool | null;
  private fallingBack = false;
  private closed = false;

  constructor(settings: DatabaseSettings, private readonly connection: DatabaseConnection) {
    const readReplicaUrl = settings.kind === 'server' ? settings.readReplicaUrl ?? null : null;
    this.replicaPool = readReplicaUrl === null ? null : openReplicaPool(readReplicaUrl);
  }

  get configured(): boolean {
    return this.replicaPool !== null;
  }

  /** The pool a stale-tolerant read uses now, with the standby's lag measured just before. */
  async reader(): Promise<StaleTolerantReader> {
    const primary: StaleTolerantReader = { pool: this.connection.pool, source: 'primary', lagMilliseconds: null };
    if (this.replicaPool === null) return primary;
    try {
      const lagMilliseconds = await this.lagOf(this.replicaPool);
      if (this.fallingBack) {
        this.fallingBack = false;
        this.logger.log('the read replica answers again: stale-tolerant reads use it');
      }
      return { pool: this.replicaPool, source: 'replica', lagMilliseconds };
    } catch (error) {
      if (!isDatabaseUnavailableError(error)) throw error;
      if (!this.fallingBack) {
        this.fallingBack = true;
        this.logger.warn(`the read replica is unavailable, stale-tolerant reads use the primary: ${error instanceof Error ? error.message : String(error)}`);
      }
      return primary;
    }
  }

  /** The standby's replay lag, for metrics; null when no replica is configured or it does not answer. */
  async lagMilliseconds(): Promise<number | null> {
    if (this.replicaPool === null) return null;
    return this.lagOf(this.replicaPool).catch(() => null);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.replicaPool?.end();
  }

  private async lagOf(pool: pg.Pool): Promise<number | null> {
    const result = await pool.query<{ lag_milliseconds: string | null }>(REPLICA_LAG_SQL);
    const lag = result.rows[0]?.lag_milliseconds ?? null;
    return lag === null ? null : Number(lag);
  }
}

function openReplicaPool(connectionString: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: READ_REPLICA_POOL_SIZE_MAXIMUM,
    types: exactNumberTypes,
    Client: ListenedDatabaseClient,
    // Both the wait for a free connection and the connect itself: beyond it, the read goes to the primary.
    connectionTimeoutMillis: DATABASE_CONNECT_TIMEOUT_MILLISECONDS,
    idleTimeoutMillis: READ_REPLICA_IDLE_CONNECTION_TIMEOUT_MILLISECONDS,
    application_name: 'rsi-ledger-reads',
  });
  // An idle connection's error is logged by its own listener; without this one it would crash.
  pool.on('error', () => undefined);
  return pool;
}

import pg from 'pg';
import { DataSource } from 'typeorm';
import { allMigrations } from '../../../migrations';
import type { DatabaseSettings } from './database-settings';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';

/**
 * One process, one database handle: the `pg` pool for hand-written SQL (the event store,
 * the projector) and a TypeORM data source (read models, migrations) that borrows its
 * connections from the SAME pool.
 *
 * Why share the pool: the embedded PGlite serves one session, so the pool has one
 * connection. If TypeORM had a pool of its own, a transaction held on one side would make
 * the other side wait on a second connection that can never run a statement while the
 * first transaction is open. With one shared pool, the other side simply queues in the pool
 * until the transaction releases the connection.
 *
 * The constraint that remains (embedded mode): code that holds a connection (a
 * transaction) must not await work that needs another connection, or it waits forever;
 * finish the transaction first. On a PostgreSQL server the pool has several connections.
 */
export type DatabaseConnection = {
  pool: pg.Pool;
  dataSource: DataSource;
  /** True on the embedded PGlite: one connection for the whole process. */
  embedded: boolean;
  /** Where the pool connects; when embedded, the in-process socket server (do not open a second session there). */
  connectionString: string;
  /** Connections in the pool (1 when embedded). */
  poolSizeMaximum: number;
  close(): Promise<void>;
};

/**
 * How long a caller may wait for a connection of the pool to be FREE. A wait this long
 * means a transaction holds the connection(s) — in embedded mode, an import or a replay
 * holding the one connection — so it is long on purpose; beyond it, fail loudly.
 *
 * It is not what makes a request fail fast in an outage: while the server is down, the
 * connections in use fail at once (the server closed them) and go back to the pool
 * destroyed, and every new connection fails within DATABASE_CONNECT_TIMEOUT_MILLISECONDS.
 */
const CONNECTION_WAIT_TIMEOUT_MILLISECONDS = 120_000;
/**
 * How long opening ONE new connection to a PostgreSQL server may take (TCP, start-up,
 * authentication). A refused connection fails at once; this bounds the other case, a
 * server that does not answer (host down, packets dropped), so that a request is answered
 * 503 within seconds instead of waiting out CONNECTION_WAIT_TIMEOUT_MILLISECONDS. A
 * healthy server on a local network answers in milliseconds.
 */
export const DATABASE_CONNECT_TIMEOUT_MILLISECONDS = 5_000;
const SERVER_IDLE_CONNECTION_TIMEOUT_MILLISECONDS = 30_000;

const INT8_TYPE_ID = 20;
const NUMERIC_TYPE_ID = 1700;
const INT8_ARRAY_TYPE_ID = 1016;
const NUMERIC_ARRAY_TYPE_ID = 1231;
const TEXT_ARRAY_TYPE_ID = 1009;
/** pg's global parsers, typed by plain type ids (the typings only list the built-in ones). */
const globalTypeParser = pg.types.getTypeParser as (typeId: number, format: 'text' | 'binary') => (value: string) => unknown;

/**
 * `int8` and `numeric` come back as strings (exact; the caller turns them into bigint),
 * never as JS numbers, whatever another library sets on pg's global parsers (TypeORM's
 * `parseInt8`, for one). Per pool, so nothing global is changed.
 */
export const exactNumberTypes: pg.CustomTypesConfig = {
  getTypeParser: ((typeId: number, format?: 'text' | 'binary') => {
    if (format === 'binary') return globalTypeParser(typeId, 'binary');
    if (typeId === INT8_TYPE_ID || typeId === NUMERIC_TYPE_ID) return (value: string) => value;
    if (typeId === INT8_ARRAY_TYPE_ID || typeId === NUMERIC_ARRAY_TYPE_ID) return globalTypeParser(TEXT_ARRAY_TYPE_ID, 'text');
    return globalTypeParser(typeId, 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export async function openDatabase(settings: DatabaseSettings): Promise<DatabaseConnection> {
  let embeddedPostgres: EmbeddedPostgres | undefined;
  let connectionString: string;
  let poolSizeMaximum: number;
  if (settings.kind === 'embedded') {
    embeddedPostgres = await startEmbeddedPostgres({ dataDirectory: settings.dataDirectory });
    connectionString = embeddedPostgres.connectionString;
    poolSizeMaximum = 1;
  } else {
    connectionString = settings.databaseUrl;
    poolSizeMaximum = settings.poolSizeMaximum;
  }

  const pool = new pg.Pool({
    connectionString,
    max: poolSizeMaximum,
    types: exactNumberTypes,
    // Every connection of the pool is a ListenedDatabaseClient: see there. Embedded: the
    // in-process server cannot be "unreachable", and its one session may be slow to open
    // under load, so a new connection waits as long as a busy one.
    Client: databaseClientClass(embeddedPostgres ? CONNECTION_WAIT_TIMEOUT_MILLISECONDS : DATABASE_CONNECT_TIMEOUT_MILLISECONDS),
    connectionTimeoutMillis: CONNECTION_WAIT_TIMEOUT_MILLISECONDS,
    // Embedded: keep the one connection for the life of the process (0 = never close it as idle).
    idleTimeoutMillis: embeddedPostgres ? 0 : SERVER_IDLE_CONNECTION_TIMEOUT_MILLISECONDS,
    application_name: 'rsi-ledger',
  });
  // The pool re-emits an idle connection's error; the connection's own listener has
  // logged it already, but without a listener here the re-emitted error would crash.
  pool.on('error', () => undefined);

  const dataSource = new DataSource({
    type: 'postgres',
    // TypeORM takes its "pool" from this driver; it gets the shared pool (see above).
    driver: sharedPoolDriver(pool),
    url: connectionString,
    migrations: allMigrations,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: ['error'],
  });
  try {
    await dataSource.initialize();
  } catch (error) {
    await pool.end().catch(() => undefined);
    await embeddedPostgres?.stop().catch(() => undefined);
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    pool,
    dataSource,
    embedded: embeddedPostgres !== undefined,
    connectionString,
    poolSizeMaximum,
    close() {
      closing ??= (async () => {
        try {
          if (dataSource.isInitialized) await dataSource.destroy();
          await pool.end();
        } finally {
          await embeddedPostgres?.stop();
        }
      })();
      return closing;
    },
  };
}

/**
 * The `pg` module as TypeORM sees it, except that `new Pool(...)` returns the shared pool.
 * TypeORM's `destroy()` ends "its" pool; here that is a no-op, because the connection's
 * `close()` ends the real pool after TypeORM has released its query runners.
 */
function sharedPoolDriver(pool: pg.Pool): unknown {
  const poolSeenByTypeOrm = new Proxy(pool, {
    get(target, property) {
      if (property === 'end') {
        return (callback?: (error?: Error) => void) => {
          if (callback) callback();
          return Promise.resolve();
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...parameters: unknown[]) => unknown).bind(target) : value;
    },
  });
  function SharedPool(): pg.Pool {
    return poolSeenByTypeOrm;
  }
  return { Pool: SharedPool, types: pg.types, defaults: pg.defaults };
}

/**
 * A `pg.Client` that always has an 'error' listener, from its construction on.
 *
 * Why: `pg` emits 'error' on a client whose connection dies (a server restart, an admin
 * terminating the session). The pool listens only while a client is idle; a client that is
 * checked out (a transaction appending, a projector batch) or a standalone client has no
 * listener, and Node turns an 'error' event without a listener into an uncaught exception
 * that kills the process. The statement that was running fails on its own (its promise
 * rejects, the caller answers 503 or retries), and the pool destroys the client when it is
 * released (`pg-pool` checks that it is still queryable), so the listener only has to log.
 * One line per lost connection (`pg` may emit twice for one loss: socket error and end).
 */
export class ListenedDatabaseClient extends pg.Client {
  private connectionLossLogged = false;

  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on('error', (error: Error) => {
      if (this.connectionLossLogged) return;
      this.connectionLossLogged = true;
      console.error(`rsi-ledger: database connection lost: ${error.message}`);
    });
  }
}

/** The client class of a pool: a listened client whose connecting is bounded by `connectTimeoutMilliseconds`. */
function databaseClientClass(connectTimeoutMilliseconds: number): typeof pg.Client {
  return class PoolDatabaseClient extends ListenedDatabaseClient {
    constructor(config?: string | pg.ClientConfig) {
      // The pool hands every client its own options, whose `connectionTimeoutMillis` is the
      // (long) wait for a free connection; connecting gets its own, shorter, bound.
      super(typeof config === 'string' ? { connectionString: config, connectionTimeoutMillis: connectTimeoutMilliseconds } : { ...config, connectionTimeoutMillis: connectTimeoutMilliseconds });
    }
  };
}

import * as path from 'node:path';

/**
 * Where the database lives. With `DATABASE_URL` the program uses that PostgreSQL server;
 * without it, an embedded PostgreSQL (PGlite) persisted in `dataDirectory`, so that a
 * fresh machine needs no server.
 */
export type DatabaseSettings =
  | { kind: 'server'; databaseUrl: string; poolSizeMaximum: number; /** `DATABASE_READ_URL`; absent or null: every read goes to the primary. */ readReplicaUrl?: string | null }
  | { kind: 'embedded'; dataDirectory: string };

export const DEFAULT_DATA_DIRECTORY_NAME = '.rsi-ledger';

/** Enough for the API, the projector and the import writing at once; PostgreSQL's default limit is 100. */
export const DEFAULT_SERVER_POOL_SIZE_MAXIMUM = 10;
const SERVER_POOL_SIZE_LIMIT = 100;

export type DatabaseSettingsOptions = {
  /** Data directory of the embedded database (`--data-dir`); default `./.rsi-ledger` of the working directory. */
  dataDirectory?: string;
  /** Connections of the pool on a PostgreSQL server; ignored for the embedded database, which serves one. */
  poolSizeMaximum?: number;
  /** Defaults to `process.env`; tests pass their own. */
  environment?: NodeJS.ProcessEnv;
  /** Defaults to `process.cwd()`. */
  workingDirectory?: string;
};

const POSTGRES_URL_PROTOCOLS = new Set(['postgres:', 'postgresql:']);

/**
 * `DATABASE_READ_URL`: a PostgreSQL standby (or a proxy in front of standbys) for the reads
 * that accept staleness (exports, unit economics). Refused unless it is a postgres:// URL
 * with a host, and unless `DATABASE_URL` is set too: the embedded database has no standby,
 * and a typo must stop the start rather than silently read from the primary.
 */
function readReplicaUrlOf(environment: NodeJS.ProcessEnv, databaseUrl: string | undefined): string | null {
  const value = environment.DATABASE_READ_URL?.trim();
  if (value === undefined || value === '') return null;
  if (!databaseUrl) throw new Error('DATABASE_READ_URL is set but DATABASE_URL is not: a read replica needs a PostgreSQL server primary');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('DATABASE_READ_URL is not a URL (expected postgres://user@host:port/database)');
  }
  if (!POSTGRES_URL_PROTOCOLS.has(url.protocol) || url.hostname === '') {
    throw new Error('DATABASE_READ_URL must be a postgres:// or postgresql:// URL with a host');
  }
  return value;
}

export function readDatabaseSettings(options: DatabaseSettingsOptions = {}): DatabaseSettings {
  const environment = options.environment ?? process.env;
  const databaseUrl = environment.DATABASE_URL?.trim();
  const readReplicaUrl = readReplicaUrlOf(environment, databaseUrl);
  if (databaseUrl) {
    const poolSizeMaximum = options.poolSizeMaximum ?? DEFAULT_SERVER_POOL_SIZE_MAXIMUM;
    if (!Number.isInteger(poolSizeMaximum) || poolSizeMaximum < 1 || poolSizeMaximum > SERVER_POOL_SIZE_LIMIT) {
      throw new RangeError(`poolSizeMaximum must be an integer from 1 to ${SERVER_POOL_SIZE_LIMIT}, got ${poolSizeMaximum}`);
    }
    return { kind: 'server', databaseUrl, poolSizeMaximum, readReplicaUrl };
  }
  const workingDirectory = options.workingDirectory ?? process.cwd();
  const dataDirectory = path.resolve(workingDirectory, options.dataDirectory ?? DEFAULT_DATA_DIRECTORY_NAME);
  return { kind: 'embedded', dataDirectory };
}

/** For logs: the URL without its password. */
export function describeDatabaseSettings(settings: DatabaseSettings): string {
  if (settings.kind === 'embedded') return `embedded PostgreSQL (PGlite) in ${settings.dataDirectory}`;
  const primary = `PostgreSQL at ${describeDatabaseUrl(settings.databaseUrl, 'DATABASE_URL')}`;
  return settings.readReplicaUrl == null ? primary : `${primary}, stale-tolerant reads from ${describeDatabaseUrl(settings.readReplicaUrl, 'DATABASE_READ_URL')}`;
}

function describeDatabaseUrl(databaseUrl: string, variableName: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return `(unparsable ${variableName})`;
  }
}

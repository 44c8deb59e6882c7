import * as path from 'node:path';

/**
 * Where the database lives. With `DATABASE_URL` the program uses that PostgreSQL server;
 * without it, an embedded PostgreSQL (PGlite) persisted in `dataDirectory`, so that a
 * fresh machine needs no server.
 */
export type DatabaseSettings =
  | { kind: 'server'; databaseUrl: string; poolSizeMaximum: number }
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

export function readDatabaseSettings(options: DatabaseSettingsOptions = {}): DatabaseSettings {
  const environment = options.environment ?? process.env;
  const databaseUrl = environment.DATABASE_URL?.trim();
  if (databaseUrl) {
    const poolSizeMaximum = options.poolSizeMaximum ?? DEFAULT_SERVER_POOL_SIZE_MAXIMUM;
    if (!Number.isInteger(poolSizeMaximum) || poolSizeMaximum < 1 || poolSizeMaximum > SERVER_POOL_SIZE_LIMIT) {
      throw new RangeError(`poolSizeMaximum must be an integer from 1 to ${SERVER_POOL_SIZE_LIMIT}, got ${poolSizeMaximum}`);
    }
    return { kind: 'server', databaseUrl, poolSizeMaximum };
  }
  const workingDirectory = options.workingDirectory ?? process.cwd();
  const dataDirectory = path.resolve(workingDirectory, options.dataDirectory ?? DEFAULT_DATA_DIRECTORY_NAME);
  return { kind: 'embedded', dataDirectory };
}

/** For logs: the URL without its password. */
export function describeDatabaseSettings(settings: DatabaseSettings): string {
  if (settings.kind === 'embedded') return `embedded PostgreSQL (PGlite) in ${settings.dataDirectory}`;
  try {
    const url = new URL(settings.databaseUrl);
    if (url.password) url.password = '***';
    return `PostgreSQL at ${url.toString()}`;
  } catch {
    return 'PostgreSQL (unparsable DATABASE_URL)';
  }
}

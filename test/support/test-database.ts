import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import { openDatabase, type DatabaseConnection, runMigrations } from '@rsi/database';

export type TestDatabase = {
  connection: DatabaseConnection;
  /** For a second, independent connection to the same database (server mode: several connections). */
  connectionString: string;
  drop(): Promise<void>;
};

/** Jest workers (and suites inside one worker) run in parallel: every test database has its own name or directory. */
export async function createTestDatabase(options: { poolSizeMaximum?: number } = {}): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL?.trim();
  return serverUrl ? createServerTestDatabase(serverUrl, options.poolSizeMaximum) : createEmbeddedTestDatabase();
}

async function createServerTestDatabase(serverUrl: string, poolSizeMaximum: number | undefined): Promise<TestDatabase> {
  const databaseName = `rsi_test_${process.pid}_${crypto.randomBytes(6).toString('hex')}`;
  await runAsAdministrator(serverUrl, `CREATE DATABASE ${databaseName}`);
  const url = new URL(serverUrl);
  url.pathname = `/${databaseName}`;
  const connectionString = url.toString();
  let connection: DatabaseConnection;
  try {
    connection = await openDatabase({ kind: 'server', databaseUrl: connectionString, poolSizeMaximum: poolSizeMaximum ?? 10 });
    await runMigrations(connection);
  } catch (error) {
    await runAsAdministrator(serverUrl, `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`).catch(() => undefined);
    throw error;
  }
  return {
    connection,
    connectionString,
    async drop() {
      await connection.close();
      // FORCE: a connection a failed test leaked must not keep the database alive.
      await runAsAdministrator(serverUrl, `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    },
  };
}

async function createEmbeddedTestDatabase(): Promise<TestDatabase> {
  const dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-ledger-test-'));
  let connection: DatabaseConnection;
  try {
    connection = await openDatabase({ kind: 'embedded', dataDirectory });
    await runMigrations(connection);
  } catch (error) {
    fs.rmSync(dataDirectory, { recursive: true, force: true });
    throw error;
  }
  return {
    connection,
    connectionString: connection.connectionString,
    async drop() {
      try {
        await connection.close();
      } finally {
        fs.rmSync(dataDirectory, { recursive: true, force: true });
      }
    },
  };
}

/** Runs one statement (CREATE or DROP DATABASE) on its own connection to the server. */
export async function runAsAdministrator(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

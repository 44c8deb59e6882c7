import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';

/** Fresh databases on the local server, one per measurement, so that none warms another's cache or tables. */
export function databaseUrlOf(adminDatabaseUrl: string, databaseName: string): string {
  const url = new URL(adminDatabaseUrl);
  url.pathname = `/${databaseName}`;
  return url.toString();
}

function quoteDatabaseName(databaseName: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(databaseName)) throw new Error(`unsafe database name: ${databaseName}`);
  return `"${databaseName}"`;
}

export async function createFreshDatabase(adminDatabaseUrl: string, databaseName: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quoteDatabaseName(databaseName)} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${quoteDatabaseName(databaseName)}`);
  } finally {
    await client.end();
  }
  return databaseUrlOf(adminDatabaseUrl, databaseName);
}

export async function dropDatabase(adminDatabaseUrl: string, databaseName: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quoteDatabaseName(databaseName)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export async function serverVersion(adminDatabaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl });
  await client.connect();
  try {
    const result = await client.query<{ server_version: string }>('SHOW server_version');
    return result.rows[0].server_version;
  } finally {
    await client.end();
  }
}

/** The columns an append writes; the others (position, transaction id, recorded at) are defaults. */
export const EVENT_ROW_COLUMNS = ['stream_name', 'stream_version', 'event_id', 'type', 'data', 'metadata'] as const;

/**
 * Writes the event rows of an imported ledger, in global order, as a COPY text file: the
 * same rows the physical-limit measurement loads and the peer appends.
 */
export async function dumpEventRows(databaseUrl: string, filePath: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const count = await client.query<{ count: string }>('SELECT count(*)::text AS count FROM events');
    const source = client.query(copyTo(`COPY (SELECT ${EVENT_ROW_COLUMNS.join(', ')} FROM events ORDER BY transaction_id, position) TO STDOUT`));
    await pipeline(source, createWriteStream(filePath));
    return Number(count.rows[0].count);
  } finally {
    await client.end();
  }
}

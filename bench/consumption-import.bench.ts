/**
 * Imports 1,000,000 consumption records (100 apps, 4 meters) into a fresh database on the
 * PostgreSQL server of DATABASE_URL and prints the rate. Not a test: run it by hand,
 *   npm run build && DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node dist/bench/consumption-import.bench.js
 * Optional: CONSUMPTION_BENCH_RECORDS (default 1,000,000), CONSUMPTION_BENCH_BATCH (default 5,000).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import { writeSampleConsumptionFile } from '@rsi/test-support';
import { importJsonlFile, openLedgerContext } from '@rsi/ledger';

const APP_COUNT = 100;

function positiveInteger(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

async function administer(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL?.trim();
  if (!serverUrl) throw new Error('set DATABASE_URL to a PostgreSQL server: the benchmark creates and drops a database of its own');
  const recordCount = positiveInteger('CONSUMPTION_BENCH_RECORDS', 1_000_000);
  const batchSize = positiveInteger('CONSUMPTION_BENCH_BATCH', 5_000);
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-consumption-bench-'));
  const filePath = path.join(directory, 'consumption.jsonl');
  const databaseName = `rsi_bench_consumption_${process.pid}`;
  const url = new URL(serverUrl);
  url.pathname = `/${databaseName}`;
  try {
    const generatedAt = Date.now();
    const { lines } = await writeSampleConsumptionFile({ filePath, appCount: APP_COUNT, recordCount, idPrefix: 'bench' });
    process.stdout.write(`generated ${lines} lines (${recordCount} consumption records, ${APP_COUNT} apps) in ${((Date.now() - generatedAt) / 1000).toFixed(1)} s, ${(fs.statSync(filePath).size / 1e6).toFixed(0)} MB\n`);
    await administer(serverUrl, `CREATE DATABASE ${databaseName}`);
    const ledger = await openLedgerContext({ environment: { ...process.env, DATABASE_URL: url.toString() } });
    const runtime = ledger.runtime;
    try {
      const summary = await importJsonlFile({
        filePath, bus: runtime.bus, batchSize,
        context: () => ({ actor: 'bench:consumption', recordedAt: new Date().toISOString() }),
        catchUpReadModels: () => runtime.projector.catchUp(),
        nowMilliseconds: () => Date.now(),
      });
      const seconds = summary.elapsedMilliseconds / 1000;
      const projected = await runtime.connection.pool.query<{ records: string | null }>('SELECT sum(records)::text AS records FROM consumption_daily');
      const events = await runtime.connection.pool.query<{ count: string }>(`SELECT count(*)::text AS count FROM events WHERE type = 'ConsumptionRecorded'`);
      process.stdout.write(
        `imported ${summary.commandsRecorded} commands (${summary.linesRefused} refused) in ${seconds.toFixed(1)} s with --batch ${batchSize}, ` +
        `projection included: ${Math.round(recordCount / seconds)} consumption records/s; ` +
        `${events.rows[0].count} ConsumptionRecorded events, ${projected.rows[0].records} records projected\n`,
      );
      if (summary.linesRefused > 0 || projected.rows[0].records !== String(recordCount)) process.exitCode = 1;
    } finally {
      await ledger.close();
    }
  } finally {
    await administer(serverUrl, `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`).catch(() => undefined);
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`consumption import bench: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 2;
});

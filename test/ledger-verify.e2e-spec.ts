import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { verifyLedger, promoteReplay, replayIntoFreshSchema, importJsonlFile } from '@rsi/ledger';
import { writeSampleLedgerFile } from '@rsi/test-support';
import { openTestLedger, type TestLedger } from './support/test-ledger';

describe('verify and replay a ledger', () => {
  let ledger: TestLedger;
  let directory: string;

  beforeAll(async () => {
    ledger = await openTestLedger();
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-verify-'));
    const filePath = path.join(directory, 'ledger.jsonl');
    await writeSampleLedgerFile({ filePath, developerCount: 3, appCount: 6, receiptCount: 1_500, refundEveryNthReceipt: 5, seed: 3 });
    const summary = await importJsonlFile({
      filePath, bus: ledger.runtime.bus, batchSize: 400,
      context: () => ({ actor: 'test:verify', recordedAt: new Date().toISOString() }),
      catchUpReadModels: () => ledger.runtime.projector.catchUp(),
      nowMilliseconds: () => Date.now(),
    });
    expect(summary.linesRefused).toBe(0);
  });

  afterAll(async () => {
    await ledger?.cleanup();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('holds on an untouched ledger: chains, recomputed splits, sums, postings, rebuilt projections', async () => {
    const report = await verifyLedger(ledger.runtime, () => Date.now());
    expect(report.checks.map((check) => [check.name, check.ok, check.failures])).toEqual(report.checks.map((check) => [check.name, true, 0]));
    expect(report.ok).toBe(true);
    const recompute = report.checks.find((check) => check.name.startsWith('splits and reversals'))!;
    expect(recompute.checked).toBe(1_500 + 300);
  });

  it('replays into fresh tables and puts them in place with the same rows', async () => {
    const pool = ledger.runtime.connection.pool;
    const before = await pool.query(`SELECT count(*)::int AS count, sum(amount_minor)::text AS total FROM ledger_entries`);
    const replay = await replayIntoFreshSchema({ pool, store: ledger.runtime.store, handlers: ledger.runtime.projectionHandlers, schema: 'replay_test', nowMilliseconds: () => Date.now() });
    expect(replay.eventsApplied).toBe(3 + 6 + 1_500 + 300);
    // Insert-only tables were loaded without indexes and got them after: the same definitions as live.
    const indexes = await pool.query(
      `SELECT n.nspname AS schema, t.relname AS table, pg_get_indexdef(i.indexrelid) AS definition
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname IN ('public', 'replay_test') AND t.relname IN ('splits', 'refunds', 'ledger_postings')`,
    );
    const definitionsOf = (schema: string) => indexes.rows.filter((row) => row.schema === schema)
      .map((row) => `${row.table}: ${String(row.definition).replace(` ON ${schema}.`, ' ON ')}`).sort();
    expect(definitionsOf('replay_test')).toEqual(definitionsOf('public'));
    // splits: its key, position, availability, occurredAt and reserve-release indexes (migration 0014).
    expect(definitionsOf('public').length).toBe(5 + 3 + 1);
    await promoteReplay(pool, replay);
    const after = await pool.query(`SELECT count(*)::int AS count, sum(amount_minor)::text AS total FROM ledger_entries`);
    expect(after.rows[0]).toEqual(before.rows[0]);
    const schemas = await pool.query(`SELECT count(*)::int AS count FROM pg_namespace WHERE nspname = 'replay_test'`);
    expect(schemas.rows[0].count).toBe(0);
  });

  it('fails when a recorded split was altered in the store, naming the broken chain and the recomputation', async () => {
    const pool = ledger.runtime.connection.pool;
    // An insider moves one cent from the developer to the platform in a stored event.
    const target = await pool.query(`SELECT position FROM events WHERE type = 'RevenueRecorded' ORDER BY position LIMIT 1 OFFSET 10`);
    await pool.query(
      `UPDATE events SET data = jsonb_set(jsonb_set(data::jsonb, '{lines,0,amountMinor}', to_jsonb(((data->'lines'->0->>'amountMinor')::numeric + 1)::text)),
         '{lines,-1,amountMinor}', to_jsonb(((data->'lines'->-1->>'amountMinor')::numeric - 1)::text))::json WHERE position = $1`,
      [target.rows[0].position],
    );
    const report = await verifyLedger(ledger.runtime, () => Date.now());
    expect(report.ok).toBe(false);
    const failed = report.checks.filter((check) => !check.ok).map((check) => check.name);
    expect(failed).toEqual(expect.arrayContaining(['hash chains and stream versions', 'splits and reversals recomputed by the domain']));
  });
});

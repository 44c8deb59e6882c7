import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeSampleLedgerFile } from '@rsi/test-support';
import { decideFileInMemory } from './support/domain-reference';
import { openTestLedger, type TestLedger } from './support/test-ledger';
import { CLI_PATH, runCli } from './support/cli-process';

const RECEIPT_COUNT = 20_000;
const REFUND_EVERY_NTH_RECEIPT = 10;


// SIGKILL of a process that holds the embedded PGlite in the middle of a write is not a
// crash PGlite promises to survive; the crash test therefore needs a PostgreSQL server.
const serverAvailable = Boolean(process.env.DATABASE_URL);
if (!serverAvailable) {
  console.warn('skipped: import crash recovery needs DATABASE_URL (a PostgreSQL server); the embedded database is not killed mid-write');
}
(serverAvailable ? describe : describe.skip)('an import killed half-way and run again', () => {
  let ledger: TestLedger;
  let directory: string;
  let filePath: string;

  beforeAll(async () => {
    expect(fs.existsSync(CLI_PATH)).toBe(true);
    ledger = await openTestLedger();
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-crash-'));
    filePath = path.join(directory, 'ledger.jsonl');
    await writeSampleLedgerFile({ filePath, developerCount: 3, appCount: 9, receiptCount: RECEIPT_COUNT, refundEveryNthReceipt: REFUND_EVERY_NTH_RECEIPT, seed: 7 });
  });

  afterAll(async () => {
    await ledger?.cleanup();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('records every command exactly once, with the same splits as the domain', async () => {
    const pool = ledger.runtime.connection.pool;
    const first = runCli(['import', filePath, '--batch', '250'], ledger.childEnvironment);
    // Kill the import once part of the file is stored, but long before the end.
    for (;;) {
      const stored = await pool.query('SELECT count(*)::int AS count FROM events');
      if (stored.rows[0].count >= 3_000) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    first.child.kill('SIGKILL');
    const killed = await first.finished;
    expect(killed.signal).toBe('SIGKILL');
    const storedAfterKill = (await pool.query('SELECT count(*)::int AS count FROM events')).rows[0].count as number;
    const commandCount = 3 + 9 + RECEIPT_COUNT + RECEIPT_COUNT / REFUND_EVERY_NTH_RECEIPT;
    expect(storedAfterKill).toBeLessThan(commandCount);

    const second = await runCli(['import', filePath, '--batch', '1000'], ledger.childEnvironment).finished;
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`${commandCount - storedAfterKill} recorded, ${storedAfterKill} already recorded, 0 refused`);

    const events = await pool.query('SELECT count(*)::int AS count, count(DISTINCT event_id)::int AS distinct_ids FROM events');
    expect(events.rows[0]).toEqual({ count: commandCount, distinct_ids: commandCount });
    await ledger.runtime.projector.catchUp();
    const splits = await pool.query('SELECT receipt_id, lines::text AS lines, currency FROM splits');
    expect(splits.rows).toHaveLength(RECEIPT_COUNT);
    const reference = decideFileInMemory(filePath);
    const { formatMoney } = await import('@rsi/domain');
    for (const row of splits.rows) {
      const lines = (JSON.parse(row.lines) as { party: string; amountMinor: string }[]).map((line) => ({ party: line.party, amount: formatMoney(BigInt(line.amountMinor), row.currency) }));
      expect(lines).toEqual(reference.get(row.receipt_id));
    }
  });

  it('exits non-zero and names the line of a bad command', async () => {
    const badFile = path.join(directory, 'bad.jsonl');
    fs.writeFileSync(badFile, `${JSON.stringify({ type: 'RecordRevenue', receiptId: 'x-1', appId: 'app-1', amount: 12.5, currency: 'USD', occurredAt: '2026-12-01T00:00:00Z' })}\n`);
    const result = await runCli(['import', badFile], ledger.childEnvironment).finished;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^line 1: command_invalid: amount: an amount must be a decimal string/m);
  });
});

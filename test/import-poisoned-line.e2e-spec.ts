import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { verifyLedger } from '@rsi/ledger';
import { writeSampleLedgerFile } from '@rsi/test-support';
import { CLI_PATH, runCli } from './support/cli-process';
import { installPoisonTrigger } from './support/poisoned-events';
import { openTestLedger, type TestLedger } from './support/test-ledger';

const RECEIPT_COUNT = 600;

// The built CLI and this test open the same ledger at once: that needs a PostgreSQL server.
// Run `npm run build` first.
const serverAvailable = Boolean(process.env.DATABASE_URL);
if (!serverAvailable) {
  console.warn('skipped: the poisoned-line import test needs DATABASE_URL (a PostgreSQL server) and the built CLI (npm run build)');
}
(serverAvailable ? describe : describe.skip)('an import with a line the database refuses to store', () => {
  let ledger: TestLedger;
  let directory: string;
  let filePath: string;
  let poisonedLineNumber: number;
  let lineCount: number;

  const storedReceipts = async () => (await ledger.runtime.connection.pool.query(
    `SELECT count(*)::int AS count, count(DISTINCT data->>'receiptId')::int AS distinct_ids FROM events WHERE type = 'RevenueRecorded'`,
  )).rows[0] as { count: number; distinct_ids: number };
  const reportedLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('line '));

  beforeAll(async () => {
    expect(fs.existsSync(CLI_PATH)).toBe(true);
    ledger = await openTestLedger();
    await installPoisonTrigger(ledger.runtime.connection.pool);
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-poisoned-import-'));
    filePath = path.join(directory, 'ledger.jsonl');
    await writeSampleLedgerFile({ filePath, developerCount: 2, appCount: 3, receiptCount: RECEIPT_COUNT, refundEveryNthReceipt: 0, seed: 11 });
    const lines = fs.readFileSync(filePath, 'utf8').trimEnd().split('\n');
    // A copy of a receipt in the middle of the file under a poisoned id: valid for the domain, refused by the database.
    const middle = Math.floor(lines.length / 2);
    const poisoned = { ...JSON.parse(lines[middle]!), receiptId: 'poison-import' };
    expect(poisoned.type).toBe('RecordRevenue');
    lines.splice(middle, 0, JSON.stringify(poisoned));
    poisonedLineNumber = middle + 1;
    lineCount = lines.length;
    fs.writeFileSync(filePath, `${lines.join('\n')}\n`);
  });

  afterAll(async () => {
    await ledger?.cleanup();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('reports the line with its number, records every other line, and a rerun records nothing new', async () => {
    const first = await runCli(['import', filePath, '--batch', '100'], ledger.childEnvironment).finished;
    expect(first.code).toBe(1);
    expect(reportedLines(first.stderr)).toEqual([`line ${poisonedLineNumber}: command_not_storable: the ledger could not store this command's data; nothing of it was written`]);
    expect(first.stderr).toContain('cause: SQLSTATE 22023');
    expect(first.stdout).toContain(`${lineCount} lines, ${lineCount - 1} recorded, 0 already recorded, 1 refused`);
    expect(await storedReceipts()).toEqual({ count: RECEIPT_COUNT, distinct_ids: RECEIPT_COUNT });

    const rerun = await runCli(['import', filePath, '--batch', '100'], ledger.childEnvironment).finished;
    expect(rerun.code).toBe(1);
    expect(reportedLines(rerun.stderr)).toEqual(reportedLines(first.stderr));
    expect(rerun.stdout).toContain(`${lineCount} lines, 0 recorded, ${lineCount - 1} already recorded, 1 refused`);

    const lines = fs.readFileSync(filePath, 'utf8').trimEnd().split('\n');
    lines.splice(poisonedLineNumber - 1, 1);
    fs.writeFileSync(filePath, `${lines.join('\n')}\n`);
    const withoutBadLine = await runCli(['import', filePath, '--batch', '100'], ledger.childEnvironment).finished;
    expect(withoutBadLine.stderr).toBe('');
    expect(withoutBadLine.code).toBe(0);
    expect(withoutBadLine.stdout).toContain(`${lineCount - 1} lines, 0 recorded, ${lineCount - 1} already recorded, 0 refused`);
    expect(await storedReceipts()).toEqual({ count: RECEIPT_COUNT, distinct_ids: RECEIPT_COUNT });

    await ledger.runtime.projector.catchUp();
    const report = await verifyLedger(ledger.runtime, () => Date.now());
    expect(report.checks.filter((check) => !check.ok).map((check) => check.name)).toEqual([]);
    const poisonedEvents = await ledger.runtime.connection.pool.query(`SELECT count(*)::int AS count FROM events WHERE data::text LIKE '%poison-%'`);
    expect(poisonedEvents.rows[0].count).toBe(0);
  });
});

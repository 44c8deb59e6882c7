import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from './support/cli-process';
import { openTestLedger, type TestLedger } from './support/test-ledger';

const terms = (effectiveFrom: string, rate: string) => ({
  currency: 'USD', effectiveFrom, platformShare: { tiers: [{ rate }], window: 'lifetime', scope: 'app' }, holdDays: 14, minimumPayout: '10.00',
});

/** A registration, two amendments of one app and receipts under each version: the file an operator re-runs. */
const IMPORT_LINES = [
  { type: 'RegisterDeveloper', developerId: 'amy', name: 'Amy', country: 'KE' },
  { type: 'RegisterApp', appId: 'amy-app', developerId: 'amy', name: 'Amy App', contract: terms('2025-01-01T00:00:00Z', '20%') },
  { type: 'RecordRevenue', receiptId: 'a1', appId: 'amy-app', amount: '100.00', currency: 'USD', occurredAt: '2025-01-10T10:00:00Z' },
  { type: 'AmendContract', appId: 'amy-app', contract: terms('2025-02-01T00:00:00Z', '15%') },
  { type: 'RecordRevenue', receiptId: 'a2', appId: 'amy-app', amount: '100.00', currency: 'USD', occurredAt: '2025-02-10T10:00:00Z' },
  { type: 'AmendContract', appId: 'amy-app', contract: terms('2025-03-01T00:00:00Z', '10%') },
  { type: 'RecordRevenue', receiptId: 'a3', appId: 'amy-app', amount: '100.00', currency: 'USD', occurredAt: '2025-03-10T10:00:00Z' },
];

describe('an import re-run after success: exit 0, nothing new, whatever the file holds', () => {
  let ledger: TestLedger;
  let directory: string;

  beforeAll(async () => {
    ledger = await openTestLedger();
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-amendments-'));
  });

  afterAll(async () => {
    await ledger?.cleanup();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('re-sending an earlier amendment of an app is already recorded', async () => {
    const filePath = path.join(directory, 'amendments.jsonl');
    fs.writeFileSync(filePath, `${IMPORT_LINES.map((line) => JSON.stringify(line)).join('\n')}\n`);
    const first = await runCli(['import', filePath], ledger.childEnvironment).finished;
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('7 recorded, 0 already recorded, 0 refused');
    const pool = ledger.runtime.connection.pool;
    const eventsAfterFirst = await pool.query('SELECT count(*)::int AS count FROM events');

    const second = await runCli(['import', filePath], ledger.childEnvironment).finished;
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('0 recorded, 7 already recorded, 0 refused');
    expect((await pool.query('SELECT count(*)::int AS count FROM events')).rows[0]).toEqual(eventsAfterFirst.rows[0]);
    const versions = await pool.query(`SELECT contract_version FROM splits WHERE app_id = 'amy-app' ORDER BY receipt_id`);
    expect(versions.rows.map((row) => row.contract_version)).toEqual([1, 2, 3]);
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { importJsonlFile } from '@rsi/ledger';
import { writeSampleLedgerFile } from '@rsi/test-support';
import type { LedgerRuntime } from '@rsi/ledger';
import { openTestLedger, type TestLedger } from './support/test-ledger';
import { decideFileInMemory } from './support/domain-reference';

const RECEIPT_COUNT = 3_000;

async function exportToString(runtime: LedgerRuntime, name: string, format: 'csv' | 'jsonl'): Promise<string> {
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on('data', (chunk: Buffer) => chunks.push(chunk));
  await runtime.exportProjection({ name, format, output, asOf: '2030-01-01T00:00:00Z' });
  output.end();
  return Buffer.concat(chunks).toString('utf8');
}

function importFile(runtime: LedgerRuntime, filePath: string, batchSize = 500) {
  return importJsonlFile({
    filePath, bus: runtime.bus, batchSize,
    context: () => ({ actor: 'test:import', recordedAt: new Date().toISOString() }),
    catchUpReadModels: () => runtime.projector.catchUp(),
    nowMilliseconds: () => Date.now(),
  });
}

describe('import a generated ledger file, export it, and check it against the domain', () => {
  let ledger: TestLedger;
  let directory: string;
  let filePath: string;

  beforeAll(async () => {
    ledger = await openTestLedger();
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-import-'));
    filePath = path.join(directory, 'ledger.jsonl');
    await writeSampleLedgerFile({ filePath, developerCount: 4, appCount: 12, receiptCount: RECEIPT_COUNT, refundEveryNthReceipt: 7, seed: 42 });
  });

  afterAll(async () => {
    await ledger?.cleanup();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('records every line, and every exported split equals the domain’s split', async () => {
    const summary = await importFile(ledger.runtime, filePath);
    const refundCount = Math.floor(RECEIPT_COUNT / 7);
    expect(summary.linesRefused).toBe(0);
    expect(summary.commandsRecorded).toBe(4 + 12 + RECEIPT_COUNT + refundCount);
    const exported = (await exportToString(ledger.runtime, 'splits', 'jsonl')).trim().split('\n').map((line) => JSON.parse(line));
    expect(exported).toHaveLength(RECEIPT_COUNT);
    const reference = decideFileInMemory(filePath);
    for (const split of exported) {
      expect(split.lines).toEqual(reference.get(split.receiptId));
      expect(typeof split.amount).toBe('string');
      expect(split.contractHash).toMatch(/^[0-9a-f]{64}$/);
    }
    const refunds = (await exportToString(ledger.runtime, 'refunds', 'jsonl')).trim().split('\n');
    expect(refunds).toHaveLength(refundCount);
  });

  it('records nothing the second time the same file is imported', async () => {
    const before = await exportToString(ledger.runtime, 'ledger-entries', 'csv');
    const summary = await importFile(ledger.runtime, filePath, 1_000);
    expect(summary.commandsRecorded).toBe(0);
    expect(summary.commandsAlreadyRecorded).toBe(summary.linesRead);
    expect(await exportToString(ledger.runtime, 'ledger-entries', 'csv')).toBe(before);
  });

  it('keeps every event’s postings at zero per currency, and the books balanced', async () => {
    const result = await ledger.runtime.connection.pool.query(
      `SELECT count(*)::text AS unbalanced FROM (SELECT event_id, currency FROM ledger_entries GROUP BY event_id, currency HAVING sum(amount_minor) <> 0) u`,
    );
    expect(result.rows[0].unbalanced).toBe('0');
    const platform = await ledger.runtime.connection.pool.query(
      `SELECT (SELECT sum(amount_minor) FROM splits)::text AS receipts, (SELECT -sum(amount_minor) FROM ledger_entries WHERE account = 'revenue:clearing' AND event_type = 'RevenueRecorded')::text AS clearing`,
    );
    expect(platform.rows[0].receipts).toBe(platform.rows[0].clearing);
  });

  it('reports a bad line with its number, writes nothing of it, and records the good lines around it', async () => {
    const badFile = path.join(directory, 'bad.jsonl');
    fs.writeFileSync(badFile, [
      JSON.stringify({ type: 'RecordRevenue', receiptId: 'extra-1', appId: 'app-1', amount: '10.00', currency: 'USD', occurredAt: '2026-12-01T00:00:00Z' }),
      JSON.stringify({ type: 'RecordRevenue', receiptId: 'extra-2', appId: 'app-1', amount: 10, currency: 'USD', occurredAt: '2026-12-01T00:00:00Z' }),
      '{not json',
      JSON.stringify({ type: 'RecordRevenue', receiptId: 'extra-3', appId: 'app-1', amount: '10.001', currency: 'USD', occurredAt: '2026-12-01T00:00:00Z' }),
      JSON.stringify({ type: 'RecordRevenue', receiptId: 'extra-4', appId: 'no-such-app', amount: '1.00', currency: 'USD', occurredAt: '2026-12-01T00:00:00Z' }),
      JSON.stringify({ type: 'RefundRevenue', refundId: 'extra-refund', receiptId: 'extra-1', amount: '10.01', occurredAt: '2026-12-02T00:00:00Z' }),
      JSON.stringify({ type: 'RecordRevenue', receiptId: 'extra-5', appId: 'app-1', amount: '5.00', currency: 'USD', occurredAt: '2026-12-31T25:00:00Z' }),
      JSON.stringify({ type: 'RecordRevenue', receiptId: 'extra-6', appId: 'app-2', amount: '5.00', currency: 'USD', occurredAt: '2026-12-01T00:00:00Z' }),
    ].join('\n'));
    const summary = await importFile(ledger.runtime, badFile);
    expect(summary.commandsRecorded).toBe(2);
    expect(summary.refusals.map((refusal) => refusal.lineNumber)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(summary.refusals[0].message).toMatch(/JSON number/);
    expect(summary.refusals[3].code).toBe('unknown_app');
    const splitIds = await ledger.runtime.connection.pool.query(`SELECT receipt_id FROM splits WHERE receipt_id LIKE 'extra-%' ORDER BY receipt_id`);
    expect(splitIds.rows.map((row) => row.receipt_id)).toEqual(['extra-1', 'extra-6']);
    const refunds = await ledger.runtime.connection.pool.query(`SELECT count(*)::text AS count FROM refunds WHERE refund_id = 'extra-refund'`);
    expect(refunds.rows[0].count).toBe('0');
  });

  it('guards CSV cells that a spreadsheet would read as formulas', async () => {
    const csv = await exportToString(ledger.runtime, 'platform-share', 'csv');
    expect(csv.split('\r\n')[0]).toBe('currency,month,party,split,reversed,net');
    const { csvCell } = await import('@rsi/ledger');
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell('-12.50')).toBe('-12.50');
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('+1')).toBe("'+1");
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { importJsonlFile } from '@rsi/ledger';
import type { LedgerRuntime } from '@rsi/ledger';
import { openTestLedger, type TestLedger } from './support/test-ledger';

async function exportToString(runtime: LedgerRuntime, name: string, format: 'csv' | 'jsonl', range: { from?: string; to?: string } = {}): Promise<string> {
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on('data', (chunk: Buffer) => chunks.push(chunk));
  await runtime.exportProjection({ name, format, output, asOf: '2030-01-01T00:00:00Z', ...range });
  output.end();
  return Buffer.concat(chunks).toString('utf8');
}

function writeLines(filePath: string, commands: object[]): void {
  fs.writeFileSync(filePath, commands.map((command) => JSON.stringify(command)).join('\n') + '\n');
}

function importFile(runtime: LedgerRuntime, filePath: string, batchSize = 500) {
  return importJsonlFile({
    filePath, bus: runtime.bus, batchSize,
    context: () => ({ actor: 'test:import', recordedAt: '2026-12-01T00:00:00.000Z' }),
    catchUpReadModels: () => runtime.projector.catchUp(),
    nowMilliseconds: () => 0,
  });
}

const contract = (carveOuts: object[]) => ({
  currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ rate: '15%' }], window: 'lifetime', scope: 'app' },
  carveOuts, holdDays: 14, minimumPayout: '50.00',
});

const PLATFORM: object[] = [
  { type: 'RegisterDeveloper', developerId: 'dev-1', name: 'Dev One', country: 'KE' },
  { type: 'RegisterApp', appId: 'revenue-app', developerId: 'dev-1', name: 'Revenue App', contract: contract([{ party: 'provider:acme', rate: '20%', of: 'platform' }]) },
  { type: 'RegisterApp', appId: 'heavy-app', developerId: 'dev-1', name: 'Heavy App', contract: contract([]) },
  {
    type: 'PublishPriceBook', priceBookId: 'usd-1', effectiveFrom: '2026-01-01T00:00:00Z', currency: 'USD',
    meters: { 'tokens.input': { listPrice: '0.0000005', unitCost: '0.0000002' }, 'gpu.seconds': { listPrice: '0.002', unitCost: '0.0012' } },
  },
  { type: 'RecordRevenue', receiptId: 'rcpt-1', appId: 'revenue-app', amount: '1000.00', currency: 'USD', occurredAt: '2026-01-10T00:00:00Z' },
  { type: 'RefundRevenue', refundId: 'rfnd-1', receiptId: 'rcpt-1', amount: '100.00', occurredAt: '2026-01-20T00:00:00Z' },
  { type: 'RecordConsumption', recordId: 'c-1', appId: 'revenue-app', meter: 'tokens.input', quantity: '1000000', occurredAt: '2026-01-05T00:00:00Z' },
  // Three records of 0.005 USD cost each: rounded once the month costs 0.215 → 0.22; rounded each, 0.23.
  { type: 'RecordConsumption', recordId: 'c-2', appId: 'revenue-app', meter: 'tokens.input', quantity: '25000', occurredAt: '2026-01-06T00:00:00Z' },
  { type: 'RecordConsumption', recordId: 'c-3', appId: 'revenue-app', meter: 'tokens.input', quantity: '25000', occurredAt: '2026-01-07T00:00:00Z' },
  { type: 'RecordConsumption', recordId: 'c-4', appId: 'revenue-app', meter: 'tokens.input', quantity: '25000', occurredAt: '2026-01-08T00:00:00Z' },
  // Heavy consumption at the last millisecond of the first price book…
  { type: 'RecordConsumption', recordId: 'h-1', appId: 'heavy-app', meter: 'tokens.input', quantity: '3000000000', occurredAt: '2026-02-15T11:59:59.999Z' },
  {
    type: 'PublishPriceBook', priceBookId: 'usd-2', effectiveFrom: '2026-02-15T12:00:00Z', currency: 'USD',
    meters: { 'tokens.input': { listPrice: '0.0000004', unitCost: '0.0000001' }, 'gpu.seconds': { listPrice: '0.002', unitCost: '0.001' } },
  },
  // … and at the first millisecond of the second.
  { type: 'RecordConsumption', recordId: 'h-2', appId: 'heavy-app', meter: 'tokens.input', quantity: '3000000000', occurredAt: '2026-02-15T12:00:00Z' },
  { type: 'RecordConsumption', recordId: 'h-3', appId: 'heavy-app', meter: 'gpu.seconds', quantity: '0.333333333', occurredAt: '2026-02-20T00:00:00Z' },
];

describe('consumption, price books and unit economics through the JSONL import', () => {
  let ledger: TestLedger;
  let directory: string;

  beforeAll(async () => {
    ledger = await openTestLedger();
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-unit-economics-'));
  });

  afterAll(async () => {
    await ledger?.cleanup();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('prices consumption exactly by the price book in effect and rounds each figure once', async () => {
    const filePath = path.join(directory, 'platform.jsonl');
    writeLines(filePath, PLATFORM);
    const summary = await importFile(ledger.runtime, filePath, 4);
    expect(summary.refusals).toEqual([]);
    expect(summary.commandsRecorded).toBe(PLATFORM.length);

    const rows = (await exportToString(ledger.runtime, 'unit-economics', 'jsonl')).trim().split('\n').map((line) => JSON.parse(line));
    expect(rows).toEqual([
      {
        appId: 'heavy-app', developerId: 'dev-1', currency: 'USD', month: '2026-02',
        grossRevenue: '0.00', refunds: '0.00', platformShare: '0.00', carveOuts: '0.00',
        // 3e9 × 0.0000005 + 3e9 × 0.0000004 + 0.333333333 × 0.002
        payPerUseEquivalent: '2700.00', infrastructureCost: '900.00',
        platformMargin: '-900.00', developerSaving: '2700.00',
        payPerUseEquivalentExact: '2700.000666666666', infrastructureCostExact: '900.000333333333',
      },
      {
        appId: 'revenue-app', developerId: 'dev-1', currency: 'USD', month: '2026-01',
        grossRevenue: '1000.00', refunds: '100.00',
        // Platform line 150 − 30 carve-out = 120, less its reversal 12; carve-out 30 − 3.
        platformShare: '108.00', carveOuts: '27.00',
        payPerUseEquivalent: '0.54', infrastructureCost: '0.22',
        platformMargin: '107.79', developerSaving: '-107.46',
        payPerUseEquivalentExact: '0.5375', infrastructureCostExact: '0.215',
      },
    ]);
    const february = await exportToString(ledger.runtime, 'unit-economics', 'csv', { from: '2026-02-01T00:00:00Z', to: '2026-03-01T00:00:00Z' });
    expect(february.trim().split('\n')).toHaveLength(2);
    expect(february).toContain('heavy-app,dev-1,USD,2026-02,0.00,0.00,0.00,0.00,2700.00,900.00,-900.00,2700.00');

    const consumption = (await exportToString(ledger.runtime, 'consumption', 'jsonl')).trim().split('\n').map((line) => JSON.parse(line));
    expect(consumption).toContainEqual({ appId: 'heavy-app', developerId: 'dev-1', meter: 'tokens.input', day: '2026-02-15', quantity: '6000000000', records: '2' });
    expect(consumption).toContainEqual({ appId: 'heavy-app', developerId: 'dev-1', meter: 'gpu.seconds', day: '2026-02-20', quantity: '0.333333333', records: '1' });
  });

  it('records nothing twice when the same file is imported again, and refuses a record id with other content', async () => {
    const filePath = path.join(directory, 'platform.jsonl');
    const before = (await ledger.runtime.connection.pool.query('SELECT count(*)::int AS count FROM events')).rows[0].count;
    const again = await importFile(ledger.runtime, filePath, 3);
    expect(again.commandsRecorded).toBe(0);
    expect(again.commandsAlreadyRecorded).toBe(PLATFORM.length);
    expect((await ledger.runtime.connection.pool.query('SELECT count(*)::int AS count FROM events')).rows[0].count).toBe(before);

    const conflictPath = path.join(directory, 'conflict.jsonl');
    writeLines(conflictPath, [{ type: 'RecordConsumption', recordId: 'c-1', appId: 'revenue-app', meter: 'tokens.input', quantity: '1000001', occurredAt: '2026-01-05T00:00:00Z' }]);
    const conflict = await importFile(ledger.runtime, conflictPath);
    expect(conflict.refusals.map((refusal) => refusal.code)).toEqual(['duplicate_consumption_record']);
  });

  it('refuses bad input line by line and writes nothing of it', async () => {
    const filePath = path.join(directory, 'bad.jsonl');
    const good = { type: 'RecordConsumption', appId: 'heavy-app', meter: 'tokens.input', quantity: '10', occurredAt: '2026-03-01T00:00:00Z' };
    writeLines(filePath, [
      { ...good, recordId: 'bad-1', appId: 'no-such-app' },
      { ...good, recordId: 'bad-2', meter: 'Tokens Input' },
      { ...good, recordId: 'bad-3', quantity: '-5' },
      { ...good, recordId: 'bad-4', quantity: '0.0000000001' },
      { ...good, recordId: 'bad-5', quantity: 10 },
      { ...good, recordId: 'bad-6', meter: 'gpu.hours' },
      { ...good, recordId: 'bad-7', occurredAt: '2025-12-31T23:59:59Z' },
      { type: 'PublishPriceBook', priceBookId: 'usd-late', effectiveFrom: '2026-02-16T00:00:00Z', currency: 'USD', meters: { 'tokens.input': { listPrice: '1', unitCost: '1' } } },
      { type: 'PublishPriceBook', priceBookId: 'usd-1', effectiveFrom: '2026-01-01T00:00:00Z', currency: 'USD', meters: { 'tokens.input': { listPrice: '1', unitCost: '1' } } },
      { type: 'PublishPriceBook', priceBookId: 'usd-3', effectiveFrom: '2026-06-01T00:00:00Z', currency: 'USD', meters: { 'tokens.input': { listPrice: 0.5, unitCost: '1' } } },
      { ...good, recordId: 'good-1' },
    ]);
    const before = (await ledger.runtime.connection.pool.query('SELECT count(*)::int AS count FROM events')).rows[0].count;
    const summary = await importFile(ledger.runtime, filePath);
    // Shape errors are reported while reading, domain refusals when their batch runs: compare by line.
    const refusals = [...summary.refusals].sort((left, right) => left.lineNumber - right.lineNumber);
    expect(refusals.map((refusal) => [refusal.lineNumber, refusal.code])).toEqual([
      [1, 'unknown_app'], [2, 'meter_name_invalid'], [3, 'quantity_negative'], [4, 'quantity_too_many_decimals'],
      [5, 'command_invalid'], [6, 'meter_not_priced'], [7, 'no_price_book_in_effect'],
      [8, 'price_book_not_after_recorded_consumption'], [9, 'duplicate_price_book'], [10, 'unit_price_not_a_string'],
    ]);
    expect(refusals[4]!.message).toMatch(/quantity: a quantity must be a decimal string .* not a JSON number/);
    expect(summary.commandsRecorded).toBe(1);
    expect((await ledger.runtime.connection.pool.query('SELECT count(*)::int AS count FROM events')).rows[0].count).toBe(before + 1);
  });
});

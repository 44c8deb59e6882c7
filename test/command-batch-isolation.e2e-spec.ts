import { verifyLedger, CommandDirectory, LedgerCommandService } from '@rsi/ledger';
import type { LedgerCommand, CommandOutcome } from '@rsi/ledger';
import { PersonalDataKeys } from '@rsi/database';
import { SAMPLE_PRICE_BOOK } from '@rsi/test-support';
import { PostgresEventStore } from '@rsi/event-store';
import type { EventStore } from '@rsi/event-store';
import { installPoisonTrigger } from './support/poisoned-events';
import { openTestLedger, type TestLedger } from './support/test-ledger';

const CONTRACT = {
  currency: 'USD',
  effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ upTo: '1000.00', rate: '0%' }, { rate: '15%' }], window: 'lifetime', scope: 'app' },
  holdDays: 14,
  minimumPayout: '50.00',
};
const BATCH_COMMANDS = 1_000;
const POISONED_INDEX = 500;
const context = () => ({ actor: 'test:isolation', recordedAt: new Date().toISOString() });

/** Receipts alternating over two developers' apps (two streams: the multi-stream append), one poisoned. */
function receipts(prefix: string, count: number, badIndexes: Map<number, string>): LedgerCommand[] {
  return Array.from({ length: count }, (_, index) => ({
    type: 'RecordRevenue',
    data: {
      receiptId: badIndexes.get(index) ?? `${prefix}-r${index}`,
      appId: index % 2 === 0 ? 'app-a' : 'app-b',
      amount: `${10 + (index % 7)}.25`,
      currency: 'USD',
      occurredAt: new Date(Date.UTC(2026, 1, 1) + index * 1_000).toISOString(),
    },
  }));
}

function statusesOf(outcomes: CommandOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) counts[outcome.status] = (counts[outcome.status] ?? 0) + 1;
  return counts;
}

describe('one command that the database refuses fails alone; the rest of its batch is recorded', () => {
  let ledger: TestLedger;
  const pool = () => ledger.runtime.connection.pool;
  const storedReceiptIds = async (prefix: string): Promise<string[]> => (await pool().query(
    `SELECT data->>'receiptId' AS receipt_id FROM events WHERE type = 'RevenueRecorded' AND data->>'receiptId' LIKE $1 ORDER BY 1`,
    [`${prefix}%`],
  )).rows.map((row) => row.receipt_id as string);
  const poisonedEventCount = async () => Number((await pool().query(
    `SELECT count(*)::text AS count FROM events WHERE data::text LIKE '%poison-%' OR data::text LIKE '%explode-%' OR data::text LIKE '%shutdown-%'`,
  )).rows[0].count);

  beforeAll(async () => {
    ledger = await openTestLedger();
    await installPoisonTrigger(pool());
    const outcomes = await ledger.runtime.bus.executeBatch([
      { type: 'RegisterDeveloper', data: { developerId: 'dev-a', name: 'Ada Apps', country: 'NG', incomeGroup: 'lower-middle' } },
      { type: 'RegisterDeveloper', data: { developerId: 'dev-b', name: 'Bo Apps', country: 'KE', incomeGroup: 'lower-middle' } },
      { type: 'RegisterApp', data: { appId: 'app-a', developerId: 'dev-a', name: 'Story Writer', contract: CONTRACT } },
      { type: 'RegisterApp', data: { appId: 'app-b', developerId: 'dev-b', name: 'Tutor', contract: CONTRACT } },
    ], context());
    expect(statusesOf(outcomes)).toEqual({ recorded: 4 });
  });

  afterAll(async () => {
    await ledger?.cleanup();
  });

  it(`records ${BATCH_COMMANDS - 1} of ${BATCH_COMMANDS} receipts on the runtime's store (COPY on a server) and fails the poisoned one with command_not_storable`, async () => {
    const commands = receipts('copy', BATCH_COMMANDS, new Map([[POISONED_INDEX, 'poison-copy']]));
    const outcomes = await ledger.runtime.bus.executeBatch(commands, context());
    // `recorded`, not `already_recorded`: a half that committed is never decided again.
    expect(statusesOf(outcomes)).toEqual({ recorded: BATCH_COMMANDS - 1, failed: 1 });
    const failed = outcomes[POISONED_INDEX]!;
    expect(failed).toMatchObject({ status: 'failed', commandId: 'RecordRevenue:poison-copy' });
    if (failed.status !== 'failed') throw new Error('unreachable');
    expect(failed.error.code).toBe('command_not_storable');
    expect(failed.error.message).not.toMatch(/poison|SQL|trigger/i);
    expect((failed.error.underlyingError as { code?: string }).code).toBe('22023');
    expect((await storedReceiptIds('copy-')).length).toBe(BATCH_COMMANDS - 1);
    expect(await poisonedEventCount()).toBe(0);

    // The same batch again: nothing new; the poisoned command fails again, alone.
    const again = await ledger.runtime.bus.executeBatch(commands, context());
    expect(statusesOf(again)).toEqual({ already_recorded: BATCH_COMMANDS - 1, failed: 1 });
    expect(again[POISONED_INDEX]!.status).toBe('failed');
    expect((await storedReceiptIds('copy-')).length).toBe(BATCH_COMMANDS - 1);
  });

  it('does the same on the INSERT path, in at most 1 + 2·ceil(log2 n) appends, none of them a re-append', async () => {
    const store = new PostgresEventStore(pool(), { copyFromStdin: false, writerSigner: ledger.runtime.writerSigner ?? undefined });
    let appendCalls = 0;
    const countingStore = new Proxy(store, {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (typeof value !== 'function') return value;
        const method = value as (...parameters: unknown[]) => unknown;
        return (...parameters: unknown[]) => {
          if (property === 'appendToStream' || property === 'appendToStreams') appendCalls += 1;
          return method.apply(target, parameters);
        };
      },
    }) as EventStore;
    const service = new LedgerCommandService(countingStore, new CommandDirectory(pool()), () => ledger.runtime.projector.catchUp(), new PersonalDataKeys(pool()));
    const outcomes = await service.executeBatch(receipts('insert', BATCH_COMMANDS, new Map([[POISONED_INDEX, 'poison-insert']])), context());
    expect(statusesOf(outcomes)).toEqual({ recorded: BATCH_COMMANDS - 1, failed: 1 });
    expect(outcomes[POISONED_INDEX]).toMatchObject({ status: 'failed', error: { code: 'command_not_storable' } });
    expect(appendCalls).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(BATCH_COMMANDS)));
    const stored = await storedReceiptIds('insert-');
    expect(stored.length).toBe(BATCH_COMMANDS - 1);
    expect(new Set(stored).size).toBe(BATCH_COMMANDS - 1);
    expect(await poisonedEventCount()).toBe(0);
  });

  it('fails a command that meets an error of no data class with internal_error, and still records the others', async () => {
    const commands = receipts('mixed', 12, new Map([[3, 'poison-mixed'], [8, 'explode-mixed']]));
    const outcomes = await ledger.runtime.bus.executeBatch(commands, context());
    expect(statusesOf(outcomes)).toEqual({ recorded: 10, failed: 2 });
    expect(outcomes[3]).toMatchObject({ status: 'failed', error: { code: 'command_not_storable' } });
    expect(outcomes[8]).toMatchObject({ status: 'failed', error: { code: 'internal_error' } });
    if (outcomes[8]!.status !== 'failed') throw new Error('unreachable');
    expect((outcomes[8]!.error.underlyingError as { code?: string }).code).toBe('P0001');
    expect((await storedReceiptIds('mixed-')).length).toBe(10);
  });

  it('keeps a domain refusal a refusal inside a batch that also holds a failing command', async () => {
    const commands = receipts('refusal', 6, new Map([[2, 'poison-refusal']]));
    commands[4] = { type: 'RecordRevenue', data: { ...commands[4]!.data, appId: 'app-nobody' } };
    const outcomes = await ledger.runtime.bus.executeBatch(commands, context());
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['recorded', 'recorded', 'failed', 'recorded', 'refused', 'recorded']);
    expect(outcomes[4]).toMatchObject({ error: { code: 'unknown_app' } });
  });

  it('blames no command when the database is unavailable: the whole batch fails and writes nothing', async () => {
    const commands = receipts('outage', 10, new Map([[6, 'shutdown-outage']]));
    await expect(ledger.runtime.bus.executeBatch(commands, context())).rejects.toMatchObject({ code: '57P01' });
    expect(await storedReceiptIds('outage-')).toEqual([]);
  });

  it('isolates a poisoned consumption record the same way (the shared pipeline helper)', async () => {
    const { type, ...priceBook } = SAMPLE_PRICE_BOOK;
    const publish = await ledger.runtime.bus.executeBatch([{ type, data: priceBook }], context());
    expect(statusesOf(publish)).toEqual({ recorded: 1 });
    const commands: LedgerCommand[] = Array.from({ length: BATCH_COMMANDS }, (_, index) => ({
      type: 'RecordConsumption',
      data: {
        recordId: index === POISONED_INDEX ? 'poison-consumption' : `consumption-${index}`,
        appId: index % 2 === 0 ? 'app-a' : 'app-b',
        meter: 'requests',
        quantity: '1',
        occurredAt: new Date(Date.UTC(2026, 1, 1) + index * 1_000).toISOString(),
      },
    }));
    const outcomes = await ledger.runtime.bus.executeBatch(commands, context());
    expect(statusesOf(outcomes)).toEqual({ recorded: BATCH_COMMANDS - 1, failed: 1 });
    expect(outcomes[POISONED_INDEX]).toMatchObject({
      status: 'failed', commandId: 'RecordConsumption:app-a:poison-consumption', error: { code: 'command_not_storable' },
    });
    const stored = (await pool().query(
      `SELECT count(*)::int AS count, count(DISTINCT r->>'recordId')::int AS distinct_ids
         FROM events, json_array_elements(data->'records') r WHERE type = 'ConsumptionRecorded'`,
    )).rows[0];
    expect(stored).toEqual({ count: BATCH_COMMANDS - 1, distinct_ids: BATCH_COMMANDS - 1 });
    const again = await ledger.runtime.bus.executeBatch(commands, context());
    expect(statusesOf(again)).toEqual({ already_recorded: BATCH_COMMANDS - 1, failed: 1 });
  });

  it('leaves a ledger that verifies: chains, recomputed splits, sums, postings, rebuilt projections', async () => {
    await ledger.runtime.projector.catchUp();
    const report = await verifyLedger(ledger.runtime, () => Date.now());
    expect(report.checks.map((check) => [check.name, check.ok, check.failures])).toEqual(report.checks.map((check) => [check.name, true, 0]));
    expect(report.ok).toBe(true);
    expect(await poisonedEventCount()).toBe(0);
  });
});

import { HeadUnreachableError, verifyLedger } from '@rsi/ledger';
import type { LedgerCommand } from '@rsi/ledger';
import { openTestLedger, type TestLedger } from './support/test-ledger';

const databaseUrl = process.env.DATABASE_URL?.trim();
// Concurrent writers and readers need the server: the embedded database serves one connection.
const describeWithServer = databaseUrl ? describe : describe.skip;

/** Batches the concurrent writer appends at most, so the test ends whatever verify does. */
const WRITER_BATCHES_MAXIMUM = 400;
const RECEIPTS_PER_BATCH = 5;
const BOOKED_AT = '2026-03-10T12:00:00.000Z';

/**
 * Appends receipts through the real command bus, batch after batch, and keeps the live
 * projections catching up, until stopped (or a bounded number of batches).
 */
function startBusyLedger(ledger: TestLedger, run: string): { stop(): Promise<number> } {
  let stopped = false;
  let receiptsRecorded = 0;
  const writer = (async () => {
    for (let batch = 0; batch < WRITER_BATCHES_MAXIMUM && !stopped; batch += 1) {
      const commands: LedgerCommand[] = Array.from({ length: RECEIPTS_PER_BATCH }, (_, index) => ({
        type: 'RecordRevenue',
        data: { receiptId: `busy-${run}-${batch}-${index}`, appId: 'busy-app', amount: '12.34', currency: 'USD', occurredAt: '2026-03-09T10:00:00Z' },
      }));
      const outcomes = await ledger.runtime.bus.executeBatch(commands, { actor: 'test:busy', recordedAt: BOOKED_AT });
      for (const outcome of outcomes) if (outcome.status !== 'recorded') throw new Error(`busy writer: ${JSON.stringify(outcome)}`);
      receiptsRecorded += commands.length;
    }
  })();
  const projector = (async () => {
    while (!stopped) await ledger.runtime.projector.catchUp();
  })();
  // Their failures surface in stop(); meanwhile they are not unhandled.
  writer.catch(() => undefined);
  projector.catch(() => undefined);
  return {
    async stop() {
      stopped = true;
      await Promise.all([writer, projector]);
      return receiptsRecorded;
    },
  };
}

describeWithServer('verify on a busy ledger', () => {
  let ledger: TestLedger;

  beforeAll(async () => {
    ledger = await openTestLedger();
    const outcomes = await ledger.runtime.bus.executeBatch([
      { type: 'RegisterDeveloper', data: { developerId: 'busy', name: 'Busy', country: 'KE' } },
      {
        type: 'RegisterApp',
        data: {
          appId: 'busy-app', developerId: 'busy', name: 'Busy App',
          contract: { currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z', platformShare: { tiers: [{ rate: '20%' }], window: 'lifetime', scope: 'app' }, holdDays: 14, minimumPayout: '10.00' },
        },
      },
    ], { actor: 'test:busy', recordedAt: BOOKED_AT });
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['recorded', 'recorded']);
    await ledger.runtime.projector.catchUp();
  });

  afterAll(async () => {
    await ledger?.cleanup();
  });

  it('passes while receipts keep being appended and projected: no false difference', async () => {
    const pool = ledger.runtime.connection.pool;
    const eventCount = async (): Promise<number> => (await pool.query(`SELECT count(*)::int AS count FROM events`)).rows[0].count;
    const busy = startBusyLedger(ledger, 'a');
    let report;
    let eventsAtStart: number;
    let eventsAtEnd: number;
    try {
      // Let the writer get going, so that verify meets writes before, during and after its snapshot.
      while ((await eventCount()) < 20) await new Promise((resolve) => setTimeout(resolve, 10));
      eventsAtStart = await eventCount();
      report = await verifyLedger(ledger.runtime, () => Date.now());
      eventsAtEnd = await eventCount();
    } finally {
      await busy.stop();
    }
    // Writes went on while verify ran.
    expect(eventsAtEnd).toBeGreaterThan(eventsAtStart);
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.projectionsComparedAt).not.toBeNull();
    expect(report.eventsRead).toBeGreaterThan(20);
  });

  it('still fails on a tampered live row while receipts keep being appended', async () => {
    await ledger.runtime.projector.catchUp();
    const pool = ledger.runtime.connection.pool;
    await pool.query(`UPDATE splits SET developer_minor = developer_minor + 1 WHERE receipt_id = 'busy-a-0-0'`);
    const busy = startBusyLedger(ledger, 'b');
    let report;
    try {
      report = await verifyLedger(ledger.runtime, () => Date.now());
    } finally {
      await busy.stop();
      await pool.query(`UPDATE splits SET developer_minor = developer_minor - 1 WHERE receipt_id = 'busy-a-0-0'`);
    }
    expect(report.ok).toBe(false);
    const failed = report.checks.filter((check) => !check.ok);
    expect(failed.map((check) => check.name)).toEqual(['rebuilt projections equal the live ones']);
    expect(failed[0]!.examples).toEqual([expect.stringMatching(/^splits: 1 rows only live, 1 only rebuilt; live .*"receipt_id\\":\\"busy-a-0-0\\"/)]);
  });

  it('reads to the true head: events held back by a transaction in flight are waited for, within a bound, then a clear error', async () => {
    const pool = ledger.runtime.connection.pool;
    await ledger.runtime.projector.catchUp();
    // A transaction with an id, left open: every event committed after it is below the head
    // but hidden from ordered reads until it ends.
    const blocker = await pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT pg_current_xact_id()');
      const outcomes = await ledger.runtime.bus.executeBatch(
        [{ type: 'RecordRevenue', data: { receiptId: 'behind-blocker', appId: 'busy-app', amount: '1.00', currency: 'USD', occurredAt: '2026-03-09T10:00:00Z' } }],
        { actor: 'test:busy', recordedAt: BOOKED_AT },
      );
      expect(outcomes[0]!.status).toBe('recorded');
      const refusal = await verifyLedger(ledger.runtime, () => Date.now(), { headWaitMillisecondsMaximum: 200 }).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(HeadUnreachableError);
      expect((refusal as Error).message).toMatch(/^events up to \d+\/\d+ stayed invisible for \d+ ms \(read up to \d+\/\d+\); a long transaction is holding them back$/);
      // It left nothing behind.
      expect((await pool.query(`SELECT count(*)::int AS count FROM pg_namespace WHERE nspname LIKE 'verify_%'`)).rows[0].count).toBe(0);
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
    const report = await verifyLedger(ledger.runtime, () => Date.now());
    expect(report.ok).toBe(true);
    const recompute = report.checks.find((check) => check.name === 'splits and reversals recomputed by the domain')!;
    const receipts = await pool.query(`SELECT count(*)::int AS count FROM events WHERE type = 'RevenueRecorded'`);
    expect(recompute.checked).toBe(receipts.rows[0].count);
  });
});

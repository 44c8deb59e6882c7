import { openTestLedger, type TestLedger } from '../../../../test/support/test-ledger';
import type { RecordedEvent } from '@rsi/event-store';
import { committedEventsText, handedEventsQueue, parseCommittedEventsText, startProjectionWorker } from './projection-worker';

const context = { actor: 'test:projection-worker', recordedAt: '2026-11-21T00:00:00.000Z' };
const contract = {
  currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ upTo: '1000.00', rate: '0%' }, { rate: '15%' }], window: 'lifetime', scope: 'app' },
  holdDays: 14, minimumPayout: '50.00',
};

// The worker needs a second connection, which only a PostgreSQL server gives.
const describeOnServer = process.env.DATABASE_URL ? describe : describe.skip;
if (!process.env.DATABASE_URL) process.stdout.write('projection worker spec skipped: it needs DATABASE_URL (a PostgreSQL server)\n');

describeOnServer('the projector in a worker thread', () => {
  let ledger: TestLedger;

  beforeAll(async () => {
    ledger = await openTestLedger();
  });
  afterAll(async () => {
    await ledger.cleanup();
  });

  it('projects what this thread appended, every event once, and the rows equal those a projector here would write', async () => {
    const { runtime } = ledger;
    const commands = [
      { type: 'RegisterDeveloper', data: { developerId: 'w-dev', name: 'Worker', country: 'KE' } },
      { type: 'RegisterApp', data: { appId: 'w-app', developerId: 'w-dev', name: 'App', contract } },
      ...Array.from({ length: 40 }, (_, index) => ({
        type: 'RecordRevenue', data: { receiptId: `w-r${index}`, appId: 'w-app', amount: '100.00', currency: 'USD', occurredAt: '2026-02-01T00:00:00Z' },
      })),
    ];
    const outcomes = await runtime.bus.executeBatch(commands, context);
    expect(outcomes.every((outcome) => outcome.status === 'recorded')).toBe(true);

    const worker = startProjectionWorker({ environment: ledger.childEnvironment });
    try {
      expect(await worker.catchUp()).toEqual({ eventsApplied: 42 });
      // Nothing new: nothing applied, by the worker or by this thread.
      expect(await worker.catchUp()).toEqual({ eventsApplied: 0 });
      expect((await runtime.projector.catchUp()).eventsApplied).toBe(0);

      const more = await runtime.bus.executeBatch([
        { type: 'RecordRevenue', data: { receiptId: 'w-r-late', appId: 'w-app', amount: '2000.00', currency: 'USD', occurredAt: '2026-03-01T00:00:00Z' } },
      ], context);
      expect(more[0]!.status).toBe('recorded');
      // Both catch up at once: one applies the event, the other finds the checkpoint moved.
      const [inWorker, here] = await Promise.all([worker.catchUp(), runtime.projector.catchUp()]);
      expect(inWorker.eventsApplied + here.eventsApplied).toBe(1);
    } finally {
      await worker.close();
    }

    const pool = runtime.connection.pool;
    const counts = await pool.query(`SELECT (SELECT count(*) FROM splits)::int AS splits, (SELECT count(*) FROM ledger_postings)::int AS postings,
      (SELECT credited_minor::text FROM developer_balances WHERE developer_id = 'w-dev') AS credited,
      (SELECT events_applied::int FROM projection_checkpoints WHERE projection_name = 'ledger') AS applied`);
    // 40 × 100.00 inside the 0% tier (4,000.00 lifetime: 1,000.00 at 0%, then 15%), then 2,000.00 at 15%.
    expect(counts.rows[0]).toEqual({ splits: 41, postings: 41, credited: String(100_000n + 255_000n + 170_000n), applied: 43 });
  });

  it('refuses an embedded database before starting', () => {
    expect(() => startProjectionWorker({ environment: {} })).toThrow(/needs DATABASE_URL/);
  });

  it('fails a catch-up with the worker’s reason when its database cannot be opened', async () => {
    const url = new URL(ledger.databaseUrl!);
    url.pathname = '/rsi_no_such_database';
    const worker = startProjectionWorker({ environment: { DATABASE_URL: url.toString() } });
    try {
      await expect(worker.catchUp()).rejects.toThrow(/rsi_no_such_database|does not exist|exited/);
    } finally {
      await worker.close();
    }
  });
});

describe('the events handed to the worker as one text', () => {
  const events: RecordedEvent[] = [
    {
      eventId: '0b4c3f5e-1d2a-5b6c-8d9e-0f1a2b3c4d5e', type: 'RevenueRecorded', streamName: 'developer-dev-"é"', streamVersion: 9_007_199_254_740_993n,
      data: { note: 'tab\t, quote ", backslash \\, emoji 😀, \u2028', amountMinor: '12', nested: { list: [1, 'two', null, true] } },
      metadata: { commandId: 'RecordRevenue:r-1', actor: 'cli:test', recordedAt: '2026-11-21T00:00:00.000Z', schemaVersion: 1, hashScheme: 2, previousEventHash: '0'.repeat(64), eventHash: 'a'.repeat(64) },
      globalPosition: { commit: 18_446_744_073_709_551_615n, prepare: 42n },
    },
    {
      eventId: '1b4c3f5e-1d2a-5b6c-8d9e-0f1a2b3c4d5e', type: 'AppRegistered', streamName: 'developer-dev-1', streamVersion: 0n,
      data: {}, metadata: { commandId: 'RegisterApp:a-1', actor: 'cli:test', recordedAt: '2026-11-21T00:00:00.001Z', schemaVersion: 1, previousEventHash: 'a'.repeat(64), eventHash: 'b'.repeat(64) },
      globalPosition: { commit: 18_446_744_073_709_551_615n, prepare: 43n },
    },
  ];

  it('parses back to the same events, from the stored texts or from the objects', () => {
    expect(parseCommittedEventsText(committedEventsText(events, null))).toEqual(events);
    const json = { data: events.map((event) => JSON.stringify(event.data)), metadata: events.map((event) => JSON.stringify(event.metadata)) };
    expect(committedEventsText(events, json)).toBe(committedEventsText(events, null));
  });

  it('drops the queue, and says so, rather than hold more than its bound', () => {
    const queue = handedEventsQueue<string>();
    queue.push(10_000, () => 'first');
    queue.push(10_000, () => 'second');
    expect(queue.takeAll()).toEqual({ appends: ['first', 'second'], dropped: false });
    queue.push(15_000, () => 'third');
    queue.push(15_000, () => { throw new Error('not built when dropped'); });
    queue.push(1, () => 'fourth');
    expect(queue.takeAll()).toEqual({ appends: ['fourth'], dropped: true });
    expect(queue.takeAll()).toEqual({ appends: [], dropped: false });
  });
});

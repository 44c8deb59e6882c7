import { openTestLedger, type TestLedger } from '../../../test/support/test-ledger';
import type { RecordedEvent } from '@rsi/event-store';
import type { ProjectionHandler } from './projection.handler';
import { Projector, ProjectionStoppedError } from './projector';

/** A projection that fails as told, and counts what it applied. */
class ProbeProjection implements ProjectionHandler {
  readonly name = 'probe';
  readonly tables = [] as const;
  appliedEventIds = new Set<string>();
  constructor(private readonly failOn: (event: RecordedEvent, call: number) => boolean) {}
  private calls = 0;
  async applyBatch(events: readonly RecordedEvent[]): Promise<void> {
    this.calls += 1;
    for (const event of events) if (this.failOn(event, this.calls)) throw new Error(`probe refuses ${event.type}`);
    for (const event of events) this.appliedEventIds.add(event.eventId);
  }
}

const context = { actor: 'test:projector', recordedAt: '2026-11-21T00:00:00.000Z' };

describe('Projector: rows and checkpoint move together, an event is applied once', () => {
  let ledger: TestLedger;
  beforeAll(async () => { ledger = await openTestLedger(); });
  afterAll(async () => { await ledger?.cleanup(); });

  it('refuses a batch read after a stale checkpoint, so applying the same events again changes nothing', async () => {
    const { runtime } = ledger;
    const outcomes = await runtime.bus.executeBatch([
      { type: 'RegisterDeveloper', data: { developerId: 'p-dev', name: 'Projector', country: 'NG' } },
      {
        type: 'RegisterApp',
        data: {
          appId: 'p-app', developerId: 'p-dev', name: 'App',
          contract: { currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z', platformShare: { tiers: [{ rate: '10%' }], window: 'lifetime', scope: 'app' }, holdDays: 0, minimumPayout: '0.00' },
        },
      },
      { type: 'RecordRevenue', data: { receiptId: 'p-r1', appId: 'p-app', amount: '10.00', currency: 'USD', occurredAt: '2026-03-01T00:00:00Z' } },
    ], context);
    expect(outcomes.every((outcome) => outcome.status === 'recorded')).toBe(true);
    await runtime.projector.catchUp();
    const pool = runtime.connection.pool;
    const count = async () => (await pool.query(`SELECT (SELECT count(*) FROM splits)::int AS splits, (SELECT count(*) FROM ledger_entries)::int AS entries, (SELECT count(*) FROM ledger_postings)::int AS postings,
      (SELECT credited_minor::text FROM developer_balances WHERE developer_id = 'p-dev') AS credited`)).rows[0];
    const before = await count();
    expect(before).toEqual({ splits: 1, entries: 3, postings: 1, credited: '900' });

    // The same events again, as a projector that read them before the checkpoint moved would.
    const events = await runtime.store.readAll({ after: null, maxCount: 100 });
    expect(await runtime.projector.applyBatch(null, events)).toBe('checkpoint_moved');
    expect(await count()).toEqual(before);
    expect((await runtime.projector.catchUp()).eventsApplied).toBe(0);
    expect(await count()).toEqual(before);
  });

  it('blames no event for a failure that does not come back, and stops (checkpoint kept) when events fail in more than a few streams', async () => {
    const { runtime } = ledger;
    const pool = runtime.connection.pool;
    const developers = Array.from({ length: 12 }, (_, index) => `probe-${index}`);
    const outcomes = await runtime.bus.executeBatch(developers.map((developerId) => ({ type: 'RegisterDeveloper', data: { developerId, name: developerId, country: 'NG' } })), context);
    expect(outcomes.every((outcome) => outcome.status === 'recorded')).toBe(true);
    const failuresCount = async () => (await pool.query('SELECT count(*)::int AS count FROM projection_failures')).rows[0].count;

    // Fails on its first call only (a deadlock, say): the batch fails, tried again it applies.
    const flaky = new ProbeProjection((_event, call) => call === 1);
    const flakyProjector = new Projector(pool, runtime.store, [flaky], { projectionName: 'probe-flaky', schema: 'public', batchSize: 1_000 });
    await expect(flakyProjector.catchUp()).rejects.toThrow(/probe refuses/);
    expect(await failuresCount()).toBe(0);
    expect(await flakyProjector.readCheckpoint()).toBeNull();
    const caughtUp = await flakyProjector.catchUp();
    expect(caughtUp.openFailures).toEqual([]);
    expect(flaky.appliedEventIds.size).toBe(caughtUp.eventsApplied);

    // Every registration fails: twelve streams in one batch is no poisoned event.
    const broken = new ProbeProjection((event) => event.type === 'DeveloperRegistered' && event.streamName.startsWith('developer-probe-'));
    const brokenProjector = new Projector(pool, runtime.store, [broken], { projectionName: 'probe-broken', schema: 'public', batchSize: 1_000 });
    await expect(brokenProjector.catchUp()).rejects.toThrow(ProjectionStoppedError);
    await expect(brokenProjector.catchUp()).rejects.toThrow(/\(stream developer-probe-\d+ version 0, id .*type DeveloperRegistered\) cannot be applied.*the projector stops before it/);
    expect(await brokenProjector.readCheckpoint()).toBeNull();
    expect(await failuresCount()).toBe(0);
  });
});

import { openTestLedger, type TestLedger } from '../../../test/support/test-ledger';

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
});

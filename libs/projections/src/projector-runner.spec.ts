import { ProjectorRunner } from './projector-runner';
import { Projector } from './projector';
import { openTestLedger, type TestLedger } from '../../../test/support/test-ledger';
import { appendPoisonedReceipt } from '../../../test/support/poisoned-event';

const serverAvailable = Boolean(process.env.DATABASE_URL);
if (!serverAvailable) console.warn('skipped: projector leadership needs DATABASE_URL (advisory locks across sessions of a PostgreSQL server)');

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMilliseconds = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMilliseconds;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

(serverAvailable ? describe : describe.skip)('ProjectorRunner: one active projector, a standby that takes over', () => {
  let ledger: TestLedger;
  beforeAll(async () => { ledger = await openTestLedger(); });
  afterAll(async () => { await ledger?.cleanup(); });

  it('lets one runner lead, keeps the other on standby, and hands over when the leader stops', async () => {
    const { runtime } = ledger;
    const options = { projectionName: 'ledger', lockConnectionString: ledger.databaseUrl!, pollIntervalMilliseconds: 20, standbyRetryMilliseconds: 50, log: () => undefined };
    const first = new ProjectorRunner(runtime.store, runtime.projector, options);
    const second = new ProjectorRunner(runtime.store, runtime.projector, options);
    first.start();
    await waitUntil(() => first.isLeader);
    second.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(second.isLeader).toBe(false);

    // The leader projects what is written without anyone asking for a catch-up.
    await runtime.bus.execute({ type: 'RegisterDeveloper', data: { developerId: 'runner-dev', name: 'Runner', country: 'NG' } }, { actor: 'test', recordedAt: '2026-11-21T00:00:00.000Z' });
    await waitUntil(async () => (await runtime.connection.pool.query(`SELECT 1 FROM developers WHERE developer_id = 'runner-dev'`)).rows.length === 1);

    await first.stop();
    await waitUntil(() => second.isLeader);
    await runtime.bus.execute({ type: 'RegisterDeveloper', data: { developerId: 'runner-dev-2', name: 'Runner 2', country: 'DE' } }, { actor: 'test', recordedAt: '2026-11-21T00:00:01.000Z' });
    await waitUntil(async () => (await runtime.connection.pool.query(`SELECT 1 FROM developers WHERE developer_id = 'runner-dev-2'`)).rows.length === 1);
    await second.stop();
  });

  it('meets a poisoned event without looping on it: one line names it, the runner keeps polling and projects what follows', async () => {
    const { runtime } = ledger;
    const context = { actor: 'test', recordedAt: '2026-11-21T00:00:02.000Z' };
    const contract = { currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z', platformShare: { tiers: [{ rate: '10%' }], window: 'lifetime', scope: 'app' }, holdDays: 3, minimumPayout: '0.00' };
    await runtime.bus.executeBatch([
      { type: 'RegisterDeveloper', data: { developerId: 'poisoned-dev', name: 'P', country: 'NG' } },
      { type: 'RegisterApp', data: { appId: 'poisoned-app', developerId: 'poisoned-dev', name: 'App', contract } },
      { type: 'RecordRevenue', data: { receiptId: 'good-1', appId: 'poisoned-app', amount: '10.00', currency: 'USD', occurredAt: '2026-03-01T00:00:00Z' } },
    ], context);
    const poisoned = await appendPoisonedReceipt(runtime.connection.pool, { developerId: 'poisoned-dev', receiptId: 'bad-1' });
    const projectorLines: string[] = [];
    const runnerLines: string[] = [];
    // The ledger projection alone, as before the context carried every feature: one line per projection that meets it.
    const ledgerHandlers = runtime.projectionHandlers.filter((handler) => handler.name === 'ledger');
    const projector = new Projector(runtime.connection.pool, runtime.store, ledgerHandlers, {
      projectionName: 'ledger', schema: 'public', batchSize: 100, log: (line) => projectorLines.push(line),
    });
    const runner = new ProjectorRunner(runtime.store, projector, {
      projectionName: 'ledger', lockConnectionString: ledger.databaseUrl!, pollIntervalMilliseconds: 20, standbyRetryMilliseconds: 50, log: (line) => runnerLines.push(line),
    });
    runner.start();
    try {
      await waitUntil(() => projectorLines.length > 0);
      // Many polls later: still one line, no error from the runner, and later events are projected.
      await runtime.bus.execute({ type: 'RegisterDeveloper', data: { developerId: 'after-poison', name: 'A', country: 'DE' } }, context);
      await waitUntil(async () => (await runtime.connection.pool.query(`SELECT 1 FROM developers WHERE developer_id = 'after-poison'`)).rows.length === 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(projectorLines).toEqual([expect.stringContaining(`projection ledger: event at position`)]);
      expect(projectorLines[0]).toContain(`id ${poisoned.eventId}, type RevenueRecorded`);
      expect(runnerLines.filter((line) => !line.endsWith('active on this instance'))).toEqual([]);
      expect((await projector.readOpenFailures()).map((failure) => failure.eventId)).toEqual([poisoned.eventId]);
    } finally {
      await runner.stop();
    }
  });

  it('when every session dies (lock and pool), logs the outage once, takes the lock again on a new session and projects on', async () => {
    const { runtime } = ledger;
    const lines: string[] = [];
    const runner = new ProjectorRunner(runtime.store, runtime.projector, {
      projectionName: 'ledger', lockConnectionString: ledger.databaseUrl!, pollIntervalMilliseconds: 20, standbyRetryMilliseconds: 50, log: (line) => lines.push(line),
    });
    const lockHolders = async (): Promise<number[]> => (await runtime.connection.pool.query<{ pid: number }>(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = hashtext('projector:ledger')::oid`,
    )).rows.map((row) => row.pid);
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      runner.start();
      await waitUntil(() => runner.isLeader);
      const [firstHolder] = await lockHolders();
      expect(firstHolder).toBeDefined();

      // What a server restart does to this database's sessions, without restarting the shared server.
      await runtime.connection.pool.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
      await waitUntil(async () => {
        const holders = await lockHolders().catch(() => []);
        return runner.isLeader && holders.length === 1 && holders[0] !== firstHolder;
      });
      await waitUntil(async () => {
        await runtime.bus.execute({ type: 'RegisterDeveloper', data: { developerId: 'runner-dev-3', name: 'Runner 3', country: 'KE' } }, { actor: 'test', recordedAt: '2026-11-21T00:00:02.000Z' }).catch(() => undefined);
        return (await runtime.connection.pool.query(`SELECT 1 FROM developers WHERE developer_id = 'runner-dev-3'`).catch(() => ({ rows: [] }))).rows.length === 1;
      });
      expect(lines.filter((line) => line.includes('active on this instance'))).toHaveLength(2);
      expect(lines.filter((line) => line.includes('the database is unavailable')).length).toBeLessThanOrEqual(1);
    } finally {
      await runner.stop();
      consoleError.mockRestore();
    }
  });
});

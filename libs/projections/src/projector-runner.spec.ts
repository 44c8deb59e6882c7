import { ProjectorRunner } from './projector-runner';
import { openTestLedger, type TestLedger } from '../../../test/support/test-ledger';

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
});

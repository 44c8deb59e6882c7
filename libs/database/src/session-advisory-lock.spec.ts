import pg from 'pg';
import { SessionAdvisoryLock } from './session-advisory-lock';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) console.warn('skipped: SessionAdvisoryLock needs DATABASE_URL (advisory locks across sessions of a PostgreSQL server)');

async function holderPids(pool: pg.Pool, lockName: string): Promise<number[]> {
  const result = await pool.query<{ pid: number }>(
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = hashtext($1)::oid AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [lockName],
  );
  return result.rows.map((row) => row.pid);
}

async function waitUntil(condition: () => boolean, timeoutMilliseconds = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMilliseconds;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

(databaseUrl ? describe : describe.skip)('SessionAdvisoryLock (real PostgreSQL sessions)', () => {
  const lockName = `session-advisory-lock-spec:${process.pid}:${Date.now()}`;
  let observer: pg.Pool;
  beforeAll(() => { observer = new pg.Pool({ connectionString: databaseUrl, max: 2 }); });
  afterAll(async () => { await observer.end(); });

  it('lets one instance lead, takes the lock once per session however often it is asked, and hands over on release', async () => {
    const first = new SessionAdvisoryLock({ connectionString: databaseUrl!, lockName });
    const second = new SessionAdvisoryLock({ connectionString: databaseUrl!, lockName });
    try {
      expect(await first.tryAcquire()).toBe(true);
      expect(await first.tryAcquire()).toBe(true);
      expect(await second.tryAcquire()).toBe(false);
      expect(second.isHeld).toBe(false);
      // Asked twice, held once: one release gives it up for good.
      await first.release();
      expect(first.isHeld).toBe(false);
      expect(await holderPids(observer, lockName)).toEqual([]);
      expect(await second.tryAcquire()).toBe(true);
      expect(await first.tryAcquire()).toBe(false);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('steps down when its session dies, and another instance takes over', async () => {
    const first = new SessionAdvisoryLock({ connectionString: databaseUrl!, lockName });
    const second = new SessionAdvisoryLock({ connectionString: databaseUrl!, lockName });
    try {
      expect(await first.tryAcquire()).toBe(true);
      const [holder] = await holderPids(observer, lockName);
      expect(holder).toBeDefined();
      await observer.query('SELECT pg_terminate_backend($1)', [holder]);
      await waitUntil(() => !first.isHeld);
      expect(await second.tryAcquire()).toBe(true);
      // The first starts over on a new session, and stands by.
      expect(await first.tryAcquire()).toBe(false);
    } finally {
      await first.close();
      await second.close();
    }
    expect(await holderPids(observer, lockName)).toEqual([]);
  });

  it('is always held on the embedded database, with no session at all', async () => {
    const embedded = new SessionAdvisoryLock({ connectionString: null, lockName });
    expect(embedded.isHeld).toBe(true);
    expect(await embedded.tryAcquire()).toBe(true);
    await embedded.close();
  });
});

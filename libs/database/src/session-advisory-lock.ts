import type pg from 'pg';
import { ListenedDatabaseClient } from './database-connection';

export type SessionAdvisoryLockOptions = {
  /** The server to lock on; null for the embedded database, where one process is the only instance. */
  connectionString: string | null;
  /** Hashed by the server (`hashtext`) into the lock's key; one name per background duty. */
  lockName: string;
};

/**
 * The leadership of one background duty (the projector, the webhook deliveries, the tree-head
 * issuer) among the instances that share a database: a PostgreSQL session-level advisory lock
 * on a connection of its own. The server releases the lock when that session ends, so a dead
 * instance's duty passes to another; this side learns of a lost session from the client's
 * error and steps down at once, and the next `tryAcquire` starts over on a new session.
 *
 * The lock is taken at most once per session: `pg_try_advisory_lock` stacks a lock already
 * held, and a stacked lock would outlive one `release`.
 */
export class SessionAdvisoryLock {
  private client: pg.Client | null = null;
  private held = false;

  constructor(private readonly options: SessionAdvisoryLockOptions) {
    if (options.lockName.length === 0) throw new Error('an advisory lock needs a name');
  }

  /** Whether this instance leads now (always, on the embedded database). */
  get isHeld(): boolean {
    return this.options.connectionString === null || this.held;
  }

  /** Takes the lock if no other session holds it; true when this instance leads. */
  async tryAcquire(): Promise<boolean> {
    if (this.isHeld) return true;
    const client = await this.sessionClient();
    try {
      const result = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [this.options.lockName]);
      // The session may have died while the query ran: only a live session's lock counts.
      this.held = this.client === client && result.rows[0]?.locked === true;
      return this.held;
    } catch (error) {
      // A session whose statement failed is not trusted to hold a lock: start over.
      this.dropSession(client);
      throw error;
    }
  }

  /** Gives the duty up and keeps the session, for a later `tryAcquire`. */
  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    await this.client?.query('SELECT pg_advisory_unlock(hashtext($1))', [this.options.lockName]).catch(() => undefined);
  }

  /** Ends the session, which releases the lock on the server. */
  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.held = false;
    await client?.end().catch(() => undefined);
  }

  private async sessionClient(): Promise<pg.Client> {
    if (this.client !== null) return this.client;
    if (this.options.connectionString === null) throw new Error('invariant: the embedded database needs no lock session');
    const client = new ListenedDatabaseClient({ connectionString: this.options.connectionString });
    client.on('error', () => this.dropSession(client));
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    return client;
  }

  private dropSession(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    this.held = false;
    void client.end().catch(() => undefined);
  }
}

import type { KeyObject } from 'node:crypto';
import type pg from 'pg';
import { ListenedDatabaseClient } from '@rsi/database';
import type { TransparencyLog } from './transparency-log.service';

const LOCK_NAME = 'rsi-ledger:tree-head-issuer';

export type TreeHeadScheduleOptions = {
  intervalMilliseconds: number;
  /** Where the lock's own session connects; null when the database is embedded (one process). */
  lockConnectionString: string | null;
  signingKey: () => KeyObject;
  log: (line: string) => void;
};

/**
 * Issues a tree head every interval while `serve` runs. Only the instance holding a
 * session-level advisory lock issues (as the projector runner does); the others try again
 * each interval and take over when the holder's session ends. Issuing twice would be
 * harmless (one head per size), the lock only saves the work. A failure is logged and the
 * next interval tries again: a missed head narrows nothing, it only widens the window.
 */
export class TreeHeadSchedule {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private lockClient: pg.Client | null = null;
  private stopped = false;
  /** Taken once per session: pg_try_advisory_lock would stack the lock again on every call. */
  private leader = false;

  constructor(private readonly log: TransparencyLog, private readonly options: TreeHeadScheduleOptions) {}

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    await this.lockClient?.end().catch(() => undefined);
    this.lockClient = null;
    this.leader = false;
  }

  private schedule(delayMilliseconds: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.tick().finally(() => {
        this.running = null;
        this.schedule(this.options.intervalMilliseconds);
      });
    }, delayMilliseconds);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      if (!(await this.holdsLock())) return;
      const outcome = await this.log.issueTreeHead(this.options.signingKey);
      if (outcome.status === 'issued') this.options.log(`tree head issued: ${outcome.head.treeSize} events, root ${outcome.head.rootHash}`);
    } catch (error) {
      this.options.log(`tree head not issued: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async holdsLock(): Promise<boolean> {
    if (this.options.lockConnectionString === null) return true;
    if (this.lockClient === null) {
      const client = new ListenedDatabaseClient({ connectionString: this.options.lockConnectionString });
      // A dead session released the lock with it: start over on a new one.
      client.on('error', () => {
        if (this.lockClient === client) {
          this.lockClient = null;
          this.leader = false;
        }
        void client.end().catch(() => undefined);
      });
      try {
        await client.connect();
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      }
      this.lockClient = client;
    }
    if (this.leader) return true;
    const result = await this.lockClient.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [LOCK_NAME]);
    this.leader = result.rows[0].locked === true;
    if (this.leader) this.options.log('tree heads: issued by this instance');
    return this.leader;
  }
}

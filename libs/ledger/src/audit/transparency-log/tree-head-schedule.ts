import type { KeyObject } from 'node:crypto';
import { SessionAdvisoryLock } from '@rsi/database';
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
  private readonly lock: SessionAdvisoryLock;
  private stopped = false;

  constructor(private readonly log: TransparencyLog, private readonly options: TreeHeadScheduleOptions) {
    this.lock = new SessionAdvisoryLock({ connectionString: options.lockConnectionString, lockName: LOCK_NAME });
  }

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    await this.lock.close();
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
    if (this.lock.isHeld) return true;
    const leading = await this.lock.tryAcquire();
    if (leading && this.options.lockConnectionString !== null) this.options.log('tree heads: issued by this instance');
    return leading;
  }
}

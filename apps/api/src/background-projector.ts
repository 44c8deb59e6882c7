import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import type { LedgerRuntime } from '../../../libs/ledger/src/ledger-runtime';
import { API_SETTINGS, LEDGER_RUNTIME, type ApiSettings } from './api-settings';

/**
 * Keeps the read models following the writes: catches the projector up every interval.
 * The next run is scheduled only when the previous one has ended, so runs never overlap;
 * a failed run is logged and retried at the next tick. Stopped (and awaited) on close, so
 * that the database is not closed under a running batch.
 */
@Injectable()
export class BackgroundProjector implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('BackgroundProjector');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    @Inject(LEDGER_RUNTIME) private readonly runtime: LedgerRuntime,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.runOnce().finally(() => {
        this.running = null;
        this.schedule();
      });
    }, this.settings.projectorIntervalMilliseconds);
    // The loop alone must not keep the process alive.
    this.timer.unref();
  }

  private async runOnce(): Promise<void> {
    try {
      await this.runtime.projector.catchUp();
    } catch (error) {
      this.logger.error(`projector catch-up failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    }
  }
}

import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { LedgerRuntime } from '@rsi/ledger';
import { ProjectorRunner } from '@rsi/projections';
import { API_SETTINGS, LEDGER_RUNTIME, type ApiSettings } from './api-settings';

/** How often a standby instance tries to become the active projector. */
const STANDBY_RETRY_MILLISECONDS = 2_000;

/**
 * Keeps the read models following the writes. One instance per projection is active (it
 * holds a PostgreSQL advisory lock); the others stand by and take over when its session
 * ends. The active one follows EventStoreDB's subscription when the store has one, else it
 * polls every interval. Stopped (and awaited) on close, in `onModuleDestroy`, so that the
 * event store (closed in `beforeApplicationShutdown`) and the database (`onApplicationShutdown`)
 * are not closed under a running batch. Reads still catch up on any instance to see their own writes.
 * A database outage is waited out (logged once, retried with a bounded back-off, the lock
 * taken again on a new session): see ProjectorRunner and docs/operations.md.
 */
@Injectable()
export class BackgroundProjector implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('BackgroundProjector');
  private runner: ProjectorRunner | null = null;

  constructor(
    @Inject(LEDGER_RUNTIME) private readonly runtime: LedgerRuntime,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  /** On bootstrap: the projector is assembled from the feature modules' handlers during init. */
  onApplicationBootstrap(): void {
    if (this.runner !== null) throw new Error('the background projector is started twice');
    this.runner = new ProjectorRunner(this.runtime.store, this.runtime.projector, {
      projectionName: 'ledger',
      lockConnectionString: this.runtime.connection.embedded ? null : this.runtime.connection.connectionString,
      pollIntervalMilliseconds: this.settings.projectorIntervalMilliseconds,
      standbyRetryMilliseconds: STANDBY_RETRY_MILLISECONDS,
      log: (message) => this.logger.log(message),
    });
    this.runner.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.runner?.stop();
  }
}

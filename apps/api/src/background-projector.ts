import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import type { LedgerRuntime } from '../../../libs/ledger/src/ledger-runtime';
import { ProjectorRunner } from '../../../libs/projections/src/projector-runner';
import { API_SETTINGS, LEDGER_RUNTIME, type ApiSettings } from './api-settings';

/** How often a standby instance tries to become the active projector. */
const STANDBY_RETRY_MILLISECONDS = 2_000;

/**
 * Keeps the read models following the writes. One instance per projection is active (it
 * holds a PostgreSQL advisory lock); the others stand by and take over when its session
 * ends. The active one follows EventStoreDB's subscription when the store has one, else it
 * polls every interval. Stopped (and awaited) on close, so that the database is not closed
 * under a running batch. Reads still catch up on any instance to see their own writes.
 * A database outage is waited out (logged once, retried with a bounded back-off, the lock
 * taken again on a new session): see ProjectorRunner and docs/operations.md.
 */
@Injectable()
export class BackgroundProjector implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('BackgroundProjector');
  private readonly runner: ProjectorRunner;

  constructor(
    @Inject(LEDGER_RUNTIME) runtime: LedgerRuntime,
    @Inject(API_SETTINGS) settings: ApiSettings,
  ) {
    this.runner = new ProjectorRunner(runtime.store, runtime.projector, {
      projectionName: 'ledger',
      lockConnectionString: runtime.connection.embedded ? null : runtime.connection.connectionString,
      pollIntervalMilliseconds: settings.projectorIntervalMilliseconds,
      standbyRetryMilliseconds: STANDBY_RETRY_MILLISECONDS,
      log: (message) => this.logger.log(message),
    });
  }

  onApplicationBootstrap(): void {
    this.runner.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }
}

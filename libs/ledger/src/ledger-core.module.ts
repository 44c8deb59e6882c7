import { Global, Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import type { Writable } from 'node:stream';
import type { DatabaseConnection } from '../../database/src/database-connection';
import { DATABASE_CONNECTION, DATABASE_SETTINGS } from '../../database/src/database.module';
import { describeDatabaseSettings, type DatabaseSettings } from '../../database/src/database-settings';
import type { EventStore } from '../../event-store/src/event-store.port';
import { EVENT_STORE, EVENT_STORE_DESCRIPTION } from '../../event-store/src/event-store.module';
import type { ProjectionHandler } from '../../projections/src/projection.handler';
import type { Projector } from '../../projections/src/projector';
import { LedgerProjections } from '../../projections/src/projections.module';
import { CommandBus, type CommandHandlerGroup } from './command-bus';
import { ExportCatalog, type ExportFormat } from './projection-export';

/** Marks a provider of a feature module as a `CommandHandlerGroup` of the command bus. */
export const CommandHandlerGroupProvider = DiscoveryService.createDecorator<void>();

/** Registers the command handler groups the feature modules provide, once every provider exists. */
@Injectable()
export class CommandBusAssembler implements OnModuleInit {
  constructor(private readonly discovery: DiscoveryService, private readonly bus: CommandBus) {}

  onModuleInit(): void {
    const groups = this.discovery.getProviders({ metadataKey: CommandHandlerGroupProvider.KEY }).map((wrapper) => wrapper.instance as CommandHandlerGroup);
    if (groups.length === 0) throw new Error('no command handler group is provided: import the feature modules');
    this.bus.register(groups);
  }
}

/**
 * A typed view of one application context for the callers that take the ledger as a whole
 * (the CLI commands, verify, the tests): every part comes from the DI container; it opens
 * and closes nothing (the context does).
 */
@Injectable()
export class LedgerRuntime {
  readonly databaseDescription: string;

  constructor(
    @Inject(DATABASE_CONNECTION) readonly connection: DatabaseConnection,
    @Inject(EVENT_STORE) readonly store: EventStore,
    @Inject(EVENT_STORE_DESCRIPTION) readonly eventStoreDescription: string,
    @Inject(DATABASE_SETTINGS) databaseSettings: DatabaseSettings,
    readonly bus: CommandBus,
    readonly exports: ExportCatalog,
    private readonly projections: LedgerProjections,
  ) {
    this.databaseDescription = describeDatabaseSettings(databaseSettings);
  }

  get projector(): Projector {
    return this.projections.projector;
  }

  /** Every projection the projector applies, for replay and verification. */
  get projectionHandlers(): readonly ProjectionHandler[] {
    return this.projections.handlers;
  }

  exportProjection(options: { name: string; format: ExportFormat; output: Writable; from?: string; to?: string; asOf: string }): Promise<{ rowsWritten: number }> {
    return this.exports.exportProjection({ pool: this.connection.pool, ...options });
  }
}

/** The command bus, the export catalog and the runtime view, over what the feature modules provide. */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [{ provide: CommandBus, useFactory: () => new CommandBus() }, CommandBusAssembler, ExportCatalog, LedgerRuntime],
  exports: [CommandBus, ExportCatalog, LedgerRuntime],
})
export class LedgerCoreModule {}

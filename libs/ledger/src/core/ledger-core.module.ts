import { Global, Inject, Injectable, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, ModuleRef } from '@nestjs/core';
import type { Writable } from 'node:stream';
import type { DatabaseConnection } from '@rsi/database';
import { DATABASE_CONNECTION, DATABASE_SETTINGS, describeDatabaseSettings, type DatabaseSettings } from '@rsi/database';
import type { EventStore, WriterSigner } from '@rsi/event-store';
import { EVENT_STORE, EVENT_STORE_DESCRIPTION, WRITER_SIGNER } from '@rsi/event-store';
import type { ProjectionHandler, Projector } from '@rsi/projections';
import { LedgerProjections } from '@rsi/projections';
import { CommandBus, type CommandHandlerGroup } from './command-bus';
import type { LedgerCommandService } from '../developer-ledger';
import type { Pool } from 'pg';
import { exportProjection, type ExportDefinition, type ExportFormat } from '../core/projection-export';
import type { BookingTimeSource, WrittenHashScheme } from '../write-pipeline/command-write.pipeline';

/**
 * Injection token of the `BookingTimeSource` the command services hand their write
 * pipelines: `ledger-clock` (the store's clock at commit; what the CLI and the API run) unless
 * the context was opened with `bookingTime: 'requested'` (tests that book at chosen instants).
 */
export const BOOKING_TIME_SOURCE = Symbol('BOOKING_TIME_SOURCE');

/** Injection token of the hash scheme the write pipelines write: 2, or 1 for the bench's baseline only (`LedgerOptions.benchIntegrityBaseline`). */
export const WRITTEN_HASH_SCHEME = Symbol('WRITTEN_HASH_SCHEME');

export type LedgerCoreOptions = { bookingTime?: BookingTimeSource; hashScheme?: WrittenHashScheme };

/**
 * Marks a provider of a feature module whose `definitions` are exports of its tables; the
 * `ExportCatalog` collects them (discovery, like the projection handlers: no process-wide
 * registry, so two application contexts in one process never share or clash).
 */
/**
 * The developer ledger's command service, provided by its module under this token: the core
 * is below the feature modules and knows the service by type only.
 */
export const DEVELOPER_LEDGER_COMMANDS = Symbol('DEVELOPER_LEDGER_COMMANDS');

export const ExportDefinitionsProvider = DiscoveryService.createDecorator<void>();

export interface ExportDefinitions {
  readonly definitions: Readonly<Record<string, ExportDefinition>>;
}

/** Every export of the feature modules of one application context, by name. */
@Injectable()
export class ExportCatalog implements OnModuleInit {
  private readonly definitions = new Map<string, ExportDefinition>();

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: ExportDefinitionsProvider.KEY })) {
      for (const [name, definition] of Object.entries((wrapper.instance as ExportDefinitions).definitions)) {
        if (this.definitions.has(name)) throw new Error(`export ${name} is defined twice`);
        this.definitions.set(name, definition);
      }
    }
  }

  names(): string[] {
    return [...this.definitions.keys()];
  }

  /** The projection an export reads, so that an export is refused while it holds back a stream. */
  projectionOf(name: string): string {
    return this.definitionOf(name).projection ?? 'ledger';
  }

  definitionOf(name: string): ExportDefinition {
    const definition = this.definitions.get(name);
    if (definition === undefined) throw new Error(`unknown export ${JSON.stringify(name)}; known: ${this.names().join(', ')}`);
    return definition;
  }

  /** Whether an export's rows name their developer (a `developerId` column), so that it can be confined to one. */
  hasDeveloperColumn(name: string): boolean {
    return this.definitionOf(name).columns.includes('developerId');
  }

  exportProjection(options: { pool: Pool; name: string; format: ExportFormat; output: Writable; from?: string; to?: string; asOf: string; developerId?: string }): Promise<{ rowsWritten: number }> {
    return exportProjection({ ...options, definition: this.definitionOf(options.name) });
  }
}

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
    /** The writer key the store signs appends with; null when the adapter records no writer signature (EventStoreDB). */
    @Inject(WRITER_SIGNER) readonly writerSigner: WriterSigner | null,
    @Inject(DATABASE_SETTINGS) databaseSettings: DatabaseSettings,
    readonly bus: CommandBus,
    readonly exports: ExportCatalog,
    private readonly projections: LedgerProjections,
    private readonly moduleReference: ModuleRef,
  ) {
    this.databaseDescription = describeDatabaseSettings(databaseSettings);
  }

  /**
   * The developer ledger's command service, for its one operation that is not a bus command:
   * an erasure also destroys a data key, so it is never a JSONL line.
   */
  get ledger(): LedgerCommandService {
    try {
      return this.moduleReference.get<LedgerCommandService>(DEVELOPER_LEDGER_COMMANDS, { strict: false });
    } catch {
      throw new Error('the developer ledger module is not loaded');
    }
  }

  get projector(): Projector {
    return this.projections.projector;
  }

  /** Every projection the projector applies, for replay and verification. */
  get projectionHandlers(): readonly ProjectionHandler[] {
    return this.projections.handlers;
  }

  /** From the primary unless `pool` names another (the API's read replica, for a stale-tolerant export). */
  exportProjection(options: { pool?: Pool; name: string; format: ExportFormat; output: Writable; from?: string; to?: string; asOf: string; developerId?: string }): Promise<{ rowsWritten: number }> {
    return this.exports.exportProjection({ ...options, pool: options.pool ?? this.connection.pool });
  }
}

/**
 * The command bus, the export catalog and the runtime view, over what the feature modules
 * provide; and the booking time source their command services write with.
 */
@Global()
@Module({})
export class LedgerCoreModule {
  static forRoot(options: LedgerCoreOptions = {}): DynamicModule {
    const bookingTime: BookingTimeSource = options.bookingTime ?? 'ledger-clock';
    return {
      module: LedgerCoreModule,
      global: true,
      imports: [DiscoveryModule],
      providers: [
        { provide: BOOKING_TIME_SOURCE, useValue: bookingTime },
        { provide: WRITTEN_HASH_SCHEME, useValue: options.hashScheme ?? 2 },
        { provide: CommandBus, useFactory: () => new CommandBus() }, CommandBusAssembler, ExportCatalog, LedgerRuntime,
      ],
      exports: [BOOKING_TIME_SOURCE, WRITTEN_HASH_SCHEME, CommandBus, ExportCatalog, LedgerRuntime],
    };
  }
}

import 'reflect-metadata';
import { Module, type DynamicModule, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { DatabaseConnection, DatabaseSettingsOptions } from '@rsi/database';
import { DatabaseModule } from '@rsi/database';
import { EventStoreModule } from '@rsi/event-store';
import { ProjectionsModule } from '@rsi/projections';
import { AuditModule } from '../audit';
import { ConsumptionModule } from '../consumption';
import { DeveloperLedgerModule } from '../developer-ledger';
import { LedgerCoreModule, LedgerRuntime } from './ledger-core.module';
import type { BookingTimeSource } from '../write-pipeline/command-write.pipeline';

export type LedgerOptions = DatabaseSettingsOptions & {
  /** Operational lines of the projector (an event a projection cannot apply); standard error by default. */
  log?: (line: string) => void;
  /** See DatabaseModuleOptions.onOpened. */
  onDatabaseOpened?: (connection: DatabaseConnection) => void;
  /**
   * Where booking times come from (`CommandWritePipeline`): the store's ledger clock at
   * commit (default; the CLI and the API), or, for tests that book at chosen past instants,
   * the command context.
   */
  bookingTime?: BookingTimeSource;
  /** Test-only: shifts the PostgreSQL ledger clock (`ledger-clock.ts`); production leaves it unset. */
  ledgerClockOffsetMilliseconds?: () => number;
  /** The writer key file (`writerPrivateKeyPath` by default): `writer-key rotate` opens the ledger with the incoming key. */
  writerPrivateKeyFile?: string;
  /**
   * Bench only, never in production: write as the ledger did before issue 12 (hash scheme 1,
   * no writer signature), so that one bench run measures what scheme 2 and writer signatures cost.
   */
  benchIntegrityBaseline?: boolean;
};

/**
 * The modules of a ledger, in the order the API, the CLI and the projection worker import
 * them: infrastructure (database, event store, projections, core), then one feature module
 * per concern. The developer ledger comes first: its exports are listed first.
 */
export function ledgerModuleImports(options: LedgerOptions): DynamicModule['imports'] & unknown[] {
  const { log, onDatabaseOpened, bookingTime, ledgerClockOffsetMilliseconds, writerPrivateKeyFile, benchIntegrityBaseline, ...databaseOptions } = options;
  return [
    DatabaseModule.forRoot({ ...databaseOptions, onOpened: onDatabaseOpened }),
    EventStoreModule.forRoot({ ledgerClock: { offsetMilliseconds: ledgerClockOffsetMilliseconds }, writerPrivateKeyFile, writerSignatures: benchIntegrityBaseline !== true }),
    ProjectionsModule.forRoot({ log }),
    LedgerCoreModule.forRoot({ bookingTime, hashScheme: benchIntegrityBaseline === true ? 1 : 2 }),
    DeveloperLedgerModule,
    ConsumptionModule,
    AuditModule,
  ];
}

/** The whole ledger without HTTP: what the CLI, the projection worker and the tests run. */
@Module({})
export class LedgerContextModule {
  static forRoot(options: LedgerOptions = {}): DynamicModule {
    return { module: LedgerContextModule, imports: ledgerModuleImports(options) };
  }
}

export type OpenedLedger = {
  context: INestApplicationContext;
  runtime: LedgerRuntime;
  /** Runs the shutdown hooks: event store, then database. */
  close(): Promise<void>;
};

/**
 * Builds the ledger's Nest application context (the database is opened and migrated, the
 * event store connected). A start that fails after the database opened closes it: Nest then
 * has no context to close.
 */
export async function openLedgerContext(options: LedgerOptions = {}): Promise<OpenedLedger> {
  let opened: DatabaseConnection | null = null;
  let context: INestApplicationContext;
  try {
    context = await NestFactory.createApplicationContext(LedgerContextModule.forRoot({
      ...options,
      onDatabaseOpened: (connection) => { opened = connection; options.onDatabaseOpened?.(connection); },
    }), { logger: false, abortOnError: false });
  } catch (error) {
    await (opened as DatabaseConnection | null)?.close().catch(() => undefined);
    throw error;
  }
  const runtime = context.get(LedgerRuntime);
  return { context, runtime, close: () => context.close() };
}

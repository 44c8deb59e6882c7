import type { Writable } from 'node:stream';
import { openDatabase, type DatabaseConnection } from '../../database/src/database-connection';
import { describeDatabaseSettings, readDatabaseSettings, type DatabaseSettingsOptions } from '../../database/src/database-settings';
import { runMigrations } from '../../database/src/migration-runner';
import { connectEventStoreDb } from '../../event-store/src/eventstoredb/eventstoredb-event-store';
import type { EventStore } from '../../event-store/src/event-store.port';
import { PostgresEventStore } from '../../event-store/src/postgres/postgres-event-store';
import { LedgerProjection } from '../../projections/src/ledger.projection';
import type { ProjectionHandler } from '../../projections/src/projection.handler';
import { Projector } from '../../projections/src/projector';
import { CommandBus, type CommandHandlerGroup } from './command-bus';
import { CommandDirectory } from './command-routing';
import { LedgerCommandService } from './ledger-command.service';
import type { BookingTimeSource } from './write-pipeline/command-write.pipeline';
import { exportProjection, type ExportFormat } from './projection-export';

/**
 * A module adds command types, projections and exports to the ledger (the consumption and
 * price-book module of the unit economics, for one) without the core knowing it.
 */
export type LedgerModule = {
  projections: ProjectionHandler[];
  commandGroups(context: { store: EventStore; connection: DatabaseConnection; catchUpReadModels: () => Promise<unknown>; bookingTime: BookingTimeSource }): CommandHandlerGroup[];
};

export type LedgerRuntime = {
  connection: DatabaseConnection;
  store: EventStore;
  projector: Projector;
  /** Every projection the projector applies, for replay and verification. */
  projectionHandlers: ProjectionHandler[];
  bus: CommandBus;
  ledger: LedgerCommandService;
  databaseDescription: string;
  eventStoreDescription: string;
  exportProjection(options: { name: string; format: ExportFormat; output: Writable; from?: string; to?: string; asOf: string }): Promise<{ rowsWritten: number }>;
  close(): Promise<void>;
};

export type LedgerRuntimeOptions = DatabaseSettingsOptions & {
  modules?: LedgerModule[];
  /**
   * Where booking times come from (`CommandWritePipeline`): the store's ledger clock at
   * commit (default), or, for tests that book at chosen past instants, the command context.
   */
  bookingTime?: BookingTimeSource;
  /** Test-only: shifts the PostgreSQL ledger clock (`ledger-clock.ts`); production leaves it unset. */
  ledgerClockOffsetMilliseconds?: () => number;
  /** Operational lines (an event a projection cannot apply); standard error by default. */
  log?: (line: string) => void;
};

function logToStandardError(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The event store chosen by `EVENT_STORE` (postgres by default, or eventstoredb). */
async function openEventStore(
  connection: DatabaseConnection,
  environment: NodeJS.ProcessEnv,
  ledgerClockOffsetMilliseconds: (() => number) | undefined,
): Promise<{ store: EventStore; description: string }> {
  const kind = (environment.EVENT_STORE ?? 'postgres').trim();
  if (kind === 'postgres') {
    const store = new PostgresEventStore(connection.pool, { copyFromStdin: !connection.embedded, ledgerClock: { offsetMilliseconds: ledgerClockOffsetMilliseconds } });
    return { store, description: 'PostgreSQL event store' };
  }
  if (kind === 'eventstoredb') {
    const store = await connectEventStoreDb(environment.EVENTSTORE_CONNECTION_STRING);
    return { store, description: 'EventStoreDB' };
  }
  throw new Error(`EVENT_STORE must be "postgres" or "eventstoredb", not ${JSON.stringify(kind)}`);
}

/** Opens the database (running its migrations), the event store, the projector and the command services. */
export async function openLedger(options: LedgerRuntimeOptions = {}): Promise<LedgerRuntime> {
  const environment = options.environment ?? process.env;
  const settings = readDatabaseSettings(options);
  const connection = await openDatabase(settings);
  try {
    await runMigrations(connection);
    const { store, description } = await openEventStore(connection, environment, options.ledgerClockOffsetMilliseconds);
    const bookingTime = options.bookingTime ?? 'ledger-clock';
    const modules = options.modules ?? [];
    const projectionHandlers = [new LedgerProjection(), ...modules.flatMap((module) => module.projections)];
    const projector = new Projector(connection.pool, store, projectionHandlers, {
      projectionName: 'ledger', schema: 'public', batchSize: 5_000, copyFromStdin: !connection.embedded,
      log: options.log ?? logToStandardError,
    });
    const catchUpReadModels = () => projector.catchUp();
    const ledger = new LedgerCommandService(store, new CommandDirectory(connection.pool), catchUpReadModels, { bookingTime });
    const bus = new CommandBus([ledger, ...modules.flatMap((module) => module.commandGroups({ store, connection, catchUpReadModels, bookingTime }))]);
    return {
      connection, store, projector, projectionHandlers, bus, ledger,
      databaseDescription: describeDatabaseSettings(settings),
      eventStoreDescription: description,
      exportProjection: (exportOptions) => exportProjection({ pool: connection.pool, ...exportOptions }),
      async close() {
        await store.close();
        await connection.close();
      },
    };
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }
}

import { Global, Inject, Injectable, Module, type BeforeApplicationShutdown, type DynamicModule } from '@nestjs/common';
import type { DatabaseConnection, DatabaseSettings } from '@rsi/database';
import { DATABASE_CONNECTION, DATABASE_SETTINGS, LEDGER_ENVIRONMENT } from '@rsi/database';
import type { EventStore } from './event-store.port';
import type { LedgerClockOptions } from './postgres/ledger-clock';
import { PostgresEventStore } from './postgres/postgres-event-store';
import { FileWriterSigner, type WriterSigner } from './writer-signatures/writer-signature';
import { writerPrivateKeyPath } from './writer-signatures/writer-signing-key';

/** Injection token of the `EventStore` port; the adapter is chosen by configuration. */
export const EVENT_STORE = Symbol('EVENT_STORE');
/** Injection token of the chosen adapter's name, for logs ("PostgreSQL event store", "EventStoreDB"). */
export const EVENT_STORE_DESCRIPTION = Symbol('EVENT_STORE_DESCRIPTION');
/** Injection token of the `WriterSigner` the store signs appends with, or null when the adapter records no writer signature (EventStoreDB). */
export const WRITER_SIGNER = Symbol('WRITER_SIGNER');
const OPENED_EVENT_STORE = Symbol('OPENED_EVENT_STORE');

type OpenedEventStore = { store: EventStore; description: string };

/** The event store chosen by `EVENT_STORE` (postgres by default, or eventstoredb with `EVENTSTORE_CONNECTION_STRING`). */
export async function openEventStore(
  connection: DatabaseConnection,
  environment: NodeJS.ProcessEnv,
  ledgerClock: LedgerClockOptions = {},
  writerSigner?: WriterSigner,
): Promise<OpenedEventStore> {
  const kind = (environment.EVENT_STORE ?? 'postgres').trim();
  if (kind === 'postgres') {
    const store = new PostgresEventStore(connection.pool, { copyFromStdin: !connection.embedded, ledgerClock, writerSigner });
    return { store, description: 'PostgreSQL event store' };
  }
  if (kind === 'eventstoredb') {
    // Loaded only when chosen: the EventStoreDB client is large and most runs do not need it.
    const { connectEventStoreDb } = await import('./eventstoredb/eventstoredb-event-store');
    const store = await connectEventStoreDb(environment.EVENTSTORE_CONNECTION_STRING);
    return { store, description: 'EventStoreDB' };
  }
  throw new Error(`EVENT_STORE must be "postgres" or "eventstoredb", not ${JSON.stringify(kind)}`);
}

/** Closes the store before the database (whose pool the PostgreSQL store uses); once. */
@Injectable()
export class EventStoreCloser implements BeforeApplicationShutdown {
  private closed = false;

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async beforeApplicationShutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.store.close();
  }
}

/**
 * Options of the event store module. `ledgerClock.offsetMilliseconds` shifts the PostgreSQL
 * ledger clock (`ledger-clock.ts`): test-only; production leaves it unset.
 */
export type EventStoreModuleOptions = {
  ledgerClock?: LedgerClockOptions;
  /**
   * The writer key file; default `writerPrivateKeyPath` (RSI_WRITER_PRIVATE_KEY_FILE, else the
   * data directory, else `~/.config/rsi-ledger`). Read or created on the first append only.
   */
  writerPrivateKeyFile?: string;
  /** False (the bench's baseline only): appends are not signed. Default true. */
  writerSignatures?: boolean;
  /** Told once when the first append created the writer key file. */
  onWriterKeyCreated?: (filePath: string) => void;
};

/** The writer key file of this context: the option, else where `writerPrivateKeyPath` finds it for these settings. */
export function writerKeyFileOf(options: EventStoreModuleOptions, settings: DatabaseSettings, environment: NodeJS.ProcessEnv): string {
  return options.writerPrivateKeyFile ?? writerPrivateKeyPath({
    environment, dataDirectory: settings.kind === 'embedded' ? settings.dataDirectory : undefined, workingDirectory: process.cwd(),
  });
}

/** The `EventStore` port over PostgreSQL (default) or EventStoreDB; needs the DatabaseModule. */
@Global()
@Module({})
export class EventStoreModule {
  static forRoot(options: EventStoreModuleOptions = {}): DynamicModule {
    const ledgerClock = options.ledgerClock ?? {};
    return {
      module: EventStoreModule,
      global: true,
      providers: [
        {
          provide: OPENED_EVENT_STORE,
          useFactory: (connection: DatabaseConnection, environment: NodeJS.ProcessEnv, settings: DatabaseSettings) =>
            openEventStore(connection, environment, ledgerClock, options.writerSignatures === false ? undefined
              : new FileWriterSigner(writerKeyFileOf(options, settings, environment), options.onWriterKeyCreated)),
          inject: [DATABASE_CONNECTION, LEDGER_ENVIRONMENT, DATABASE_SETTINGS],
        },
        {
          provide: WRITER_SIGNER,
          useFactory: (opened: OpenedEventStore) => (opened.store instanceof PostgresEventStore ? opened.store.writerSigner ?? null : null),
          inject: [OPENED_EVENT_STORE],
        },
        { provide: EVENT_STORE, useFactory: (opened: OpenedEventStore) => opened.store, inject: [OPENED_EVENT_STORE] },
        { provide: EVENT_STORE_DESCRIPTION, useFactory: (opened: OpenedEventStore) => opened.description, inject: [OPENED_EVENT_STORE] },
        EventStoreCloser,
      ],
      exports: [EVENT_STORE, EVENT_STORE_DESCRIPTION, WRITER_SIGNER],
    };
  }
}

import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { openDatabase, type DatabaseConnection } from './database-connection';
import { readDatabaseSettings, type DatabaseSettings, type DatabaseSettingsOptions } from './database-settings';
import { runMigrations } from './migration-runner';
import { READ_REPLICA, ReadReplica } from './read-replica';

/** Injection token of the `DatabaseSettings` read from the options and the environment. */
export const DATABASE_SETTINGS = Symbol('DATABASE_SETTINGS');
/** Injection token of the open, migrated `DatabaseConnection`. */
export const DATABASE_CONNECTION = Symbol('DATABASE_CONNECTION');
/**
 * Injection token of the environment that selects the database and the event store
 * (`DATABASE_URL`, `EVENT_STORE`, `EVENTSTORE_CONNECTION_STRING`): `process.env` unless a
 * test or a worker thread passes its own.
 */
export const LEDGER_ENVIRONMENT = Symbol('LEDGER_ENVIRONMENT');

export type DatabaseModuleOptions = DatabaseSettingsOptions & {
  /**
   * Told the connection as soon as it is open: a provider that fails later in the same
   * start leaves Nest without a context to close, so whoever starts the context closes it.
   */
  onOpened?: (connection: DatabaseConnection) => void;
};

/** Opens the connection and runs the migrations; a failed migration closes what it opened. */
async function openMigratedDatabase(settings: DatabaseSettings, onOpened: DatabaseModuleOptions['onOpened']): Promise<DatabaseConnection> {
  const connection = await openDatabase(settings);
  onOpened?.(connection);
  try {
    await runMigrations(connection);
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }
  return connection;
}

/**
 * Closes the connection once, after every other shutdown step (the event store closes
 * before, in `beforeApplicationShutdown`; the projector runner stops in `onModuleDestroy`).
 * Once: a test may close an application and then its context.
 */
@Injectable()
export class DatabaseConnectionCloser implements OnApplicationShutdown {
  private closed = false;

  constructor(@Inject(DATABASE_CONNECTION) private readonly connection: DatabaseConnection) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.connection.close();
  }
}

/**
 * The database: a PostgreSQL server pool (`DATABASE_URL`) or the embedded PGlite, migrated;
 * and the read replica (`DATABASE_READ_URL`) of the stale-tolerant reads.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions = {}): DynamicModule {
    const { onOpened, ...settingsOptions } = options;
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        { provide: LEDGER_ENVIRONMENT, useValue: options.environment ?? process.env },
        { provide: DATABASE_SETTINGS, useFactory: () => readDatabaseSettings(settingsOptions) },
        { provide: DATABASE_CONNECTION, useFactory: (settings: DatabaseSettings) => openMigratedDatabase(settings, onOpened), inject: [DATABASE_SETTINGS] },
        DatabaseConnectionCloser,
        {
          provide: READ_REPLICA,
          useFactory: (settings: DatabaseSettings, connection: DatabaseConnection) => new ReadReplica(settings, connection),
          inject: [DATABASE_SETTINGS, DATABASE_CONNECTION],
        },
      ],
      exports: [LEDGER_ENVIRONMENT, DATABASE_SETTINGS, DATABASE_CONNECTION, READ_REPLICA],
    };
  }
}

import { Inject, Injectable, Module } from '@nestjs/common';
import type { DatabaseConnection } from '@rsi/database';
import { DATABASE_CONNECTION, PersonalDataKeys } from '@rsi/database';
import type { EventStore } from '@rsi/event-store';
import { EVENT_STORE } from '@rsi/event-store';
import { LedgerProjections, ProjectionHandlerProvider } from '@rsi/projections';
import { LedgerProjection } from './ledger.projection';
import { CommandDirectory } from './command-routing';
import { LedgerCommandService } from './ledger-command.service';
import { BOOKING_TIME_SOURCE, CommandHandlerGroupProvider, WRITTEN_HASH_SCHEME, DEVELOPER_LEDGER_COMMANDS, ExportDefinitionsProvider, type ExportDefinitions } from '../core/ledger-core.module';
import type { BookingTimeSource, WrittenHashScheme } from '../write-pipeline/command-write.pipeline';
import { DEVELOPER_LEDGER_EXPORTS } from './developer-ledger.exports';

/** Applied first: the other projections read its tables (apps, developers) in the same transaction. */
export const DEVELOPER_LEDGER_PROJECTION_ORDER = 10;

/** Developers, apps, contracts, receipts, refunds and payouts: the developer streams' commands. */
@CommandHandlerGroupProvider()
@Injectable()
export class DeveloperLedgerCommands extends LedgerCommandService {
  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    directory: CommandDirectory,
    projections: LedgerProjections,
    personalDataKeys: PersonalDataKeys,
    @Inject(BOOKING_TIME_SOURCE) bookingTime: BookingTimeSource,
    @Inject(WRITTEN_HASH_SCHEME) hashScheme: WrittenHashScheme,
  ) {
    super(store, directory, () => projections.projector.catchUp(), personalDataKeys, { bookingTime, hashScheme });
  }
}

/** The ledger projection (splits, refunds, balances, platform share, entries, directory). */
@ProjectionHandlerProvider({ order: DEVELOPER_LEDGER_PROJECTION_ORDER })
@Injectable()
export class DeveloperLedgerProjection extends LedgerProjection {}

@ExportDefinitionsProvider()
@Injectable()
export class DeveloperLedgerExports implements ExportDefinitions {
  readonly definitions = DEVELOPER_LEDGER_EXPORTS;
}

/** The developer ledger: its command handling, its projection and the exports of its tables. */
@Module({
  providers: [
    { provide: CommandDirectory, useFactory: (connection: DatabaseConnection) => new CommandDirectory(connection.pool), inject: [DATABASE_CONNECTION] },
    { provide: PersonalDataKeys, useFactory: (connection: DatabaseConnection) => new PersonalDataKeys(connection.pool), inject: [DATABASE_CONNECTION] },
    DeveloperLedgerCommands,
    { provide: DEVELOPER_LEDGER_COMMANDS, useExisting: DeveloperLedgerCommands },
    DeveloperLedgerProjection,
    DeveloperLedgerExports,
  ],
  exports: [DeveloperLedgerCommands, DEVELOPER_LEDGER_COMMANDS, PersonalDataKeys],
})
export class DeveloperLedgerModule {}

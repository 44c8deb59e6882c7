import { Inject, Injectable, Module } from '@nestjs/common';
import type { DatabaseConnection } from '@rsi/database';
import { DATABASE_CONNECTION } from '@rsi/database';
import type { EventStore } from '@rsi/event-store';
import { EVENT_STORE } from '@rsi/event-store';
import { LedgerProjections, ProjectionHandlerProvider } from '@rsi/projections';
import { UnitEconomicsProjection } from './unit-economics.projection';
import { BOOKING_TIME_SOURCE, CommandHandlerGroupProvider, WRITTEN_HASH_SCHEME, ExportDefinitionsProvider, type ExportDefinitions } from '../core/ledger-core.module';
import type { BookingTimeSource, WrittenHashScheme } from '../write-pipeline/command-write.pipeline';
import { ConsumptionCommandService } from './consumption-command.service';
import { CONSUMPTION_EXPORTS } from './unit-economics.read';

/** After the developer ledger's projection, whose apps table it reads. */
export const UNIT_ECONOMICS_PROJECTION_ORDER = 20;

/** `RecordConsumption` and `PublishPriceBook`. */
@CommandHandlerGroupProvider()
@Injectable()
export class ConsumptionCommands extends ConsumptionCommandService {
  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(DATABASE_CONNECTION) connection: DatabaseConnection,
    projections: LedgerProjections,
    @Inject(BOOKING_TIME_SOURCE) bookingTime: BookingTimeSource,
    @Inject(WRITTEN_HASH_SCHEME) hashScheme: WrittenHashScheme,
  ) {
    super(store, connection.pool, () => projections.projector.catchUp(), { bookingTime, hashScheme });
  }
}

/** Consumption, price books and unit economics. */
@ProjectionHandlerProvider({ order: UNIT_ECONOMICS_PROJECTION_ORDER })
@Injectable()
export class ConsumptionProjection extends UnitEconomicsProjection {}

@ExportDefinitionsProvider()
@Injectable()
export class ConsumptionExports implements ExportDefinitions {
  readonly definitions = CONSUMPTION_EXPORTS;
}

/** The RSI side: consumption and price-book commands, the unit-economics projection and its exports. */
@Module({
  providers: [ConsumptionCommands, ConsumptionProjection, ConsumptionExports],
  exports: [ConsumptionCommands],
})
export class ConsumptionModule {}

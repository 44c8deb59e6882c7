import { UnitEconomicsProjection } from '../../../projections/src/unit-economics.projection';
import type { LedgerModule } from '../ledger-runtime';
import { ConsumptionCommandService } from './consumption-command.service';
import { registerConsumptionExports } from './unit-economics.read';

/**
 * The RSI side as a ledger module: `RecordConsumption` and `PublishPriceBook`, the
 * consumption, price-book and unit-economics projections, and their exports.
 */
export function consumptionModule(): LedgerModule {
  registerConsumptionExports();
  return {
    projections: [new UnitEconomicsProjection()],
    commandGroups: ({ store, connection, catchUpReadModels, bookingTime }) => [new ConsumptionCommandService(store, connection.pool, catchUpReadModels, { bookingTime })],
  };
}

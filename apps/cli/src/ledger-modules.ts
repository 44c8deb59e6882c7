import { consumptionModule } from '../../../libs/ledger/src/consumption/consumption.module';
import type { LedgerModule } from '../../../libs/ledger/src/ledger-runtime';

/** The modules the `rsi-ledger` binary runs with, beyond the core ledger. */
export function ledgerModules(): LedgerModule[] {
  return [consumptionModule()];
}

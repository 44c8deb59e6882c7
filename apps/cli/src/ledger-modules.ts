import type { LedgerModule } from '../../../libs/ledger/src/ledger-runtime';
import { ledgerModuleNamed } from '../../../libs/ledger/src/projection-worker';

/** The modules the `rsi-ledger` binary runs with, beyond the core ledger, by name (a projection worker opens the same). */
export const LEDGER_MODULE_NAMES: readonly string[] = ['consumption'];

export function ledgerModules(): LedgerModule[] {
  return LEDGER_MODULE_NAMES.map(ledgerModuleNamed);
}

/** What other rooms of the ledger may use of the developer ledger; the rest of this folder is its own. */
export { DeveloperLedgerModule } from './developer-ledger.module';
export { LedgerCommandService } from './ledger-command.service';
export { CommandDirectory, developerStreamName } from './command-routing';

/** What other rooms of the ledger may use of consumption and unit economics; the rest of this folder is its own. */
export { ConsumptionModule } from './consumption.module';
export { CONSUMPTION_COMMAND_FIELDS, ConsumptionCommandService } from './consumption-command.service';

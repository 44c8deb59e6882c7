import { Module, type DynamicModule } from '@nestjs/common';
import type { LedgerRuntime } from '../../../libs/ledger/src/ledger-runtime';
import { ApiKeyGuard } from './api-key.guard';
import { API_SETTINGS, LEDGER_RUNTIME, type ApiSettings } from './api-settings';
import { BackgroundProjector } from './background-projector';
import { CommandEndpointService } from './command-endpoint.service';
import { ConsumptionController } from './consumption.controller';
import { HealthController } from './health.controller';
import { LedgerCommandsController } from './ledger-commands.controller';
import { LedgerExportsController } from './ledger-exports.controller';
import { LedgerReadsController } from './ledger-reads.controller';
import { TreeHeadsController } from './tree-heads.controller';
import { SealPublicKeyController } from './seal-public-key.controller';

/** The HTTP API over one ledger runtime, which the caller opened and will close. */
@Module({})
export class ApiModule {
  static forRuntime(runtime: LedgerRuntime, settings: ApiSettings): DynamicModule {
    return {
      module: ApiModule,
      controllers: [HealthController, LedgerCommandsController, LedgerReadsController, LedgerExportsController, ConsumptionController, TreeHeadsController, SealPublicKeyController],
      providers: [
        { provide: LEDGER_RUNTIME, useValue: runtime },
        { provide: API_SETTINGS, useValue: settings },
        ApiKeyGuard,
        CommandEndpointService,
        BackgroundProjector,
      ],
    };
  }
}

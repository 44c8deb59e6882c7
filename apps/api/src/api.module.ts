import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { LedgerRuntime, ledgerModuleImports, type LedgerOptions } from '@rsi/ledger';
import { RouteAccessGuard } from './http/route-access.guard';
import { API_SETTINGS, LEDGER_RUNTIME, type ApiSettings } from './api-settings';
import { BackgroundProjector } from './background-projector';
import { CommandEndpointService } from './http/command-endpoint.service';
import { ConsumptionController } from './consumption/consumption.controller';
import { HealthController } from './http/health.controller';
import { LedgerCommandsController } from './developer-ledger/ledger-commands.controller';
import { LedgerExportsController } from './developer-ledger/ledger-exports.controller';
import { LedgerReadsController } from './developer-ledger/ledger-reads.controller';
import { TreeHeadsController } from './audit/tree-heads.controller';
import { SealPublicKeyController } from './audit/seal-public-key.controller';
import { AccessController } from './access/access.controller';
import { AuditController } from './audit/audit.controller';
import { ReconciliationController } from './reconciliation/reconciliation.controller';

/**
 * What every HTTP controller shares: the settings, the command endpoint, and the one gate of
 * every route, `RouteAccessGuard` (global: `APP_GUARD`), which applies the route table.
 */
@Global()
@Module({})
export class ApiHttpModule {
  static forRoot(settings: ApiSettings): DynamicModule {
    return {
      module: ApiHttpModule,
      global: true,
      imports: [DiscoveryModule],
      providers: [
        { provide: API_SETTINGS, useValue: settings },
        // The controllers' name for the runtime view the LedgerCoreModule provides.
        { provide: LEDGER_RUNTIME, useExisting: LedgerRuntime },
        RouteAccessGuard,
        { provide: APP_GUARD, useExisting: RouteAccessGuard },
        CommandEndpointService,
      ],
      exports: [API_SETTINGS, LEDGER_RUNTIME, RouteAccessGuard, CommandEndpointService],
    };
  }
}

/** The developer ledger's routes: its commands, its reads and the exports of its tables. */
@Module({ controllers: [LedgerCommandsController, LedgerReadsController, LedgerExportsController] })
export class DeveloperLedgerHttpModule {}

/** Consumption and unit economics' routes. */
@Module({ controllers: [ConsumptionController] })
export class ConsumptionHttpModule {}

/** The audit's routes: the published seal key (no API key), the signed tree heads, statements, seals, verify and what-if. */
@Module({ controllers: [TreeHeadsController, SealPublicKeyController, AuditController] })
export class AuditHttpModule {}

/** The parties' routes: the caller's session, key management (operators) and the access log (auditors). */
@Module({ controllers: [AccessController] })
export class AccessHttpModule {}

/** Finance's reconciliation against the payment provider (reads only). */
@Module({ controllers: [ReconciliationController] })
export class ReconciliationHttpModule {}

/**
 * The HTTP API: the ledger's modules (database, event store, projections, features), the
 * routes of each feature, health, and the background projector.
 */
@Module({})
export class ApiAppModule {
  static forRoot(settings: ApiSettings, ledgerOptions: LedgerOptions): DynamicModule {
    return {
      module: ApiAppModule,
      imports: [...ledgerModuleImports(ledgerOptions), ApiHttpModule.forRoot(settings), DeveloperLedgerHttpModule, ConsumptionHttpModule, AuditHttpModule, AccessHttpModule, ReconciliationHttpModule],
      controllers: [HealthController],
      providers: [BackgroundProjector],
    };
  }
}

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
import { StreamEventsController } from './audit/stream-events.controller';
import { AccessController } from './access/access.controller';
import { AuditController } from './audit/audit.controller';
import { MetricsController } from './operations/metrics.controller';
import { MetricsService } from './operations/metrics.service';
import { ShutdownState } from './operations/shutdown-state';
import { structuredLoggingModule } from './operations/structured-logging';
import { WebhookDeliveryWorker } from './webhooks/webhook-delivery.worker';
import { WebhooksController } from './webhooks/webhooks.controller';
import { ReconciliationController } from './reconciliation/reconciliation.controller';

/**
 * What every HTTP controller shares: the settings, the command endpoint, the metrics, the
 * shutdown state, and the one gate of every route, `RouteAccessGuard` (global: `APP_GUARD`),
 * which applies the route table.
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
        MetricsService,
        ShutdownState,
      ],
      exports: [API_SETTINGS, LEDGER_RUNTIME, RouteAccessGuard, CommandEndpointService, MetricsService, ShutdownState],
    };
  }
}

/** The developer ledger's routes: its commands, its reads and the exports of its tables. */
@Module({ controllers: [LedgerCommandsController, LedgerReadsController, LedgerExportsController] })
export class DeveloperLedgerHttpModule {}

/** Consumption and unit economics' routes. */
@Module({ controllers: [ConsumptionController] })
export class ConsumptionHttpModule {}

/** The audit's routes: the published seal key (no API key), the signed tree heads, statements, seals, verify, what-if and the event browser. */
@Module({ controllers: [TreeHeadsController, SealPublicKeyController, AuditController, StreamEventsController] })
export class AuditHttpModule {}

/** The parties' routes: the caller's session, key management (operators) and the access log (auditors). */
@Module({ controllers: [AccessController] })
export class AccessHttpModule {}

/** Webhooks for integrators: the subscriptions' routes and the delivery worker (one active instance). */
@Module({ controllers: [WebhooksController], providers: [WebhookDeliveryWorker] })
export class WebhooksHttpModule {}

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
      imports: [
        structuredLoggingModule(settings.configuration.logLevel), ...ledgerModuleImports(ledgerOptions), ApiHttpModule.forRoot(settings),
        DeveloperLedgerHttpModule, ConsumptionHttpModule, AuditHttpModule, AccessHttpModule, WebhooksHttpModule, ReconciliationHttpModule,
      ],
      controllers: [HealthController, MetricsController],
      providers: [BackgroundProjector],
    };
  }
}

import { Global, Inject, Injectable, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import type { DatabaseConnection } from '@rsi/database';
import { DATABASE_CONNECTION } from '@rsi/database';
import type { EventStore } from '@rsi/event-store';
import { EVENT_STORE } from '@rsi/event-store';
import type { ProjectionHandler } from './projection.handler';
import { Projector } from './projector';

/**
 * Marks a provider of a feature module as a projection handler of the ledger's projector.
 * `order`: handlers apply in ascending order inside each batch's transaction, so that a
 * projection that reads another's tables (unit economics reads the ledger's apps) runs after
 * it. Explicit, not the order in which modules happen to be imported.
 */
export const ProjectionHandlerProvider = DiscoveryService.createDecorator<{ order: number }>();

export type ProjectionsModuleOptions = {
  /** Operational lines (an event a projection cannot apply); standard error by default. */
  log?: (line: string) => void;
};

const PROJECTIONS_OPTIONS = Symbol('PROJECTIONS_OPTIONS');
/** Events read and applied per transaction. */
const PROJECTOR_BATCH_EVENTS = 5_000;

function logToStandardError(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * The ledger's projector over every projection handler the feature modules contribute.
 *
 * Why discovery: a feature module owns its projections, and the projector must not name
 * them; Nest has no multi-providers, so each feature marks its handler with
 * `@ProjectionHandlerProvider({ order })` and this collects them once every provider exists
 * (`onModuleInit`, as @nestjs/cqrs registers its handlers). Nothing reads the projector
 * before: the command services catch up through a closure, the runner starts on bootstrap.
 */
@Injectable()
export class LedgerProjections implements OnModuleInit {
  private built: { projector: Projector; handlers: readonly ProjectionHandler[] } | null = null;

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(DATABASE_CONNECTION) private readonly connection: DatabaseConnection,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTIONS_OPTIONS) private readonly options: ProjectionsModuleOptions,
  ) {}

  onModuleInit(): void {
    const contributed = this.discovery.getProviders({ metadataKey: ProjectionHandlerProvider.KEY }).map((wrapper) => {
      const metadata = this.discovery.getMetadataByDecorator(ProjectionHandlerProvider, wrapper);
      if (metadata === undefined) throw new Error(`projection handler ${String(wrapper.name)} has no order`);
      return { order: metadata.order, handler: wrapper.instance as ProjectionHandler };
    });
    const orders = contributed.map((entry) => entry.order);
    if (new Set(orders).size !== orders.length) throw new Error(`two projection handlers share an order: ${orders.join(', ')}`);
    const handlers = contributed.sort((left, right) => left.order - right.order).map((entry) => entry.handler);
    if (handlers.length === 0) throw new Error('no projection handler is provided: import the feature modules');
    const projector = new Projector(this.connection.pool, this.store, handlers, {
      projectionName: 'ledger', schema: 'public', batchSize: PROJECTOR_BATCH_EVENTS, copyFromStdin: !this.connection.embedded,
      log: this.options.log ?? logToStandardError,
    });
    this.built = { projector, handlers };
  }

  get projector(): Projector {
    return this.assertBuilt().projector;
  }

  /** Every projection the projector applies, in order, for replay and verification. */
  get handlers(): readonly ProjectionHandler[] {
    return this.assertBuilt().handlers;
  }

  private assertBuilt(): NonNullable<LedgerProjections['built']> {
    if (this.built === null) throw new Error('the projector is read before the application context is initialised');
    return this.built;
  }
}

/** The projector, its checkpoint and failures, over the handlers the feature modules provide. */
@Global()
@Module({})
export class ProjectionsModule {
  static forRoot(options: ProjectionsModuleOptions = {}): DynamicModule {
    return {
      module: ProjectionsModule,
      global: true,
      imports: [DiscoveryModule],
      providers: [{ provide: PROJECTIONS_OPTIONS, useValue: options }, LedgerProjections],
      exports: [LedgerProjections],
    };
  }
}

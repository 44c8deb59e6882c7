import type { Pool } from 'pg';
import {
  consumptionRecordedEvent, CONSUMPTION_RECORDS_PER_EVENT_MAXIMUM, decideRecordConsumption, decidePublishPriceBook,
  decodeConsumptionEvent, DomainError, DuplicatePriceBook, encodeConsumptionEvent, evolveConsumption, evolvePriceBooks,
  initialConsumptionState, initialPriceBookState, parseCurrency, parseIdentifier,
  type ConsumptionApp, type ConsumptionEvent, type ConsumptionState, type PriceBookState,
  type PublishPriceBook, type RecordConsumption,
} from '@rsi/domain';
import type { DeveloperEvent } from '@rsi/domain';
import type { EventStore } from '@rsi/event-store';
import type { CommandHandlerGroup, LedgerCommand } from '../core/command-bus';
import type { CommandContext, CommandOutcome } from '../core/command-outcome';
import type { FieldKind } from '../import/jsonl-command.parser';
import {
  CommandWritePipeline, type BatchStreams, type WritePipelineOptions, type DecidedEvent, type Decision, type StreamDecider, type StreamKind,
} from '../write-pipeline/command-write.pipeline';

/** Consumption events hold up to 1,000 records each: read few at a time. */
const STREAM_READ_PAGE_EVENTS = 200;
/** Stream states kept between batches (a consumption state holds every record id of its app). */
const STATE_CACHE_STREAMS_MAXIMUM = 1_000;
const APP_CACHE_ENTRIES_MAXIMUM = 100_000;

export const CONSUMPTION_COMMAND_FIELDS: Record<'RecordConsumption' | 'PublishPriceBook', Record<string, FieldKind>> = {
  RecordConsumption: { recordId: 'text', appId: 'text', meter: 'text', quantity: 'quantity', occurredAt: 'time' },
  PublishPriceBook: { priceBookId: 'text', effectiveFrom: 'time', currency: 'text', meters: 'object' },
};

export function consumptionStreamName(appId: string): string {
  return `consumption-${appId}`;
}

export function priceBookStreamName(currency: string): string {
  return `price-books-${currency}`;
}

export function recordConsumptionCommandId(appId: string, recordId: string): string {
  return `RecordConsumption:${appId}:${recordId}`;
}

/** The command id of a consumption or price-book command, as its outcome names it. */
export function consumptionCommandIdOf(command: LedgerCommand): string {
  return command.type === 'RecordConsumption'
    ? recordConsumptionCommandId(String(command.data.appId), String(command.data.recordId))
    : `${command.type}:${String(command.data.priceBookId)}`;
}

export class UnknownConsumptionApp extends DomainError {
  constructor(appId: string) {
    super('unknown_app', 'not_found', `appId: no app ${JSON.stringify(appId)} is registered`, 'appId');
  }
}

const CONSUMPTION_STREAM: StreamKind<ConsumptionState, ConsumptionEvent> = {
  initial: initialConsumptionState,
  decode: decodeConsumptionEvent,
  evolve: (state, event) => {
    if (event.type !== 'ConsumptionRecorded') throw new Error(`integrity: ${event.type} in a consumption stream`);
    return evolveConsumption(state, event);
  },
};

const PRICE_BOOK_STREAM: StreamKind<PriceBookState, ConsumptionEvent> = {
  initial: initialPriceBookState,
  decode: decodeConsumptionEvent,
  evolve: (state, event) => {
    if (event.type !== 'PriceBookPublished') throw new Error(`integrity: ${event.type} in a price-book stream`);
    return evolvePriceBooks(state, event);
  },
};

/** Latest occurredAt of the consumption decided in one attempt at a batch, per currency. */
type BatchLatestConsumption = Map<string, string>;

/**
 * `RecordConsumption` on `consumption-<appId>` (the record ids of the app), priced by the
 * price books of the app's currency, which it reads from `price-books-<currency>`;
 * `PublishPriceBook` on `price-books-<currency>`.
 */
class ConsumptionStreamDecider implements StreamDecider<LedgerCommand, ConsumptionEvent, BatchLatestConsumption> {
  readonly snapshotCache = { streamsMaximum: STATE_CACHE_STREAMS_MAXIMUM, readPageEvents: STREAM_READ_PAGE_EVENTS };
  private readonly apps = new Map<string, ConsumptionApp>();

  constructor(
    private readonly pool: Pool,
    private readonly catchUpReadModels: () => Promise<unknown>,
  ) {}

  commandIdOf(command: LedgerCommand): string {
    return consumptionCommandIdOf(command);
  }

  /** Looks up the apps of the batch in the `apps` read model. */
  async lookUpRoutes(commands: readonly LedgerCommand[]): Promise<boolean> {
    const missing = new Set<string>();
    for (const command of commands) {
      const appId = command.data.appId;
      if (command.type === 'RecordConsumption' && typeof appId === 'string' && !this.apps.has(appId)) missing.add(appId);
    }
    if (missing.size === 0) return true;
    const appIds = [...missing];
    const result = await this.pool.query('SELECT app_id, developer_id, currency FROM apps WHERE app_id = ANY($1::text[])', [appIds]);
    if (this.apps.size + result.rows.length > APP_CACHE_ENTRIES_MAXIMUM) this.apps.clear();
    for (const row of result.rows as { app_id: string; developer_id: string; currency: string }[]) {
      // An app's developer and currency never change (an amendment may not change the currency).
      this.apps.set(row.app_id, { appId: row.app_id, developerId: row.developer_id, currency: row.currency });
    }
    return appIds.every((appId) => this.apps.has(appId));
  }

  beginBatch(): BatchLatestConsumption {
    return new Map();
  }

  decide(command: LedgerCommand, context: CommandContext, streams: BatchStreams<ConsumptionEvent>, batchLatest: BatchLatestConsumption): Promise<Decision<ConsumptionEvent>> {
    if (command.type === 'RecordConsumption') return this.decideRecord(command as RecordConsumption, context, streams, batchLatest);
    if (command.type === 'PublishPriceBook') return this.decidePublish(command as PublishPriceBook, context, streams, batchLatest);
    throw new Error(`ConsumptionCommandService: not a consumption command: ${command.type}`);
  }

  private async decideRecord(command: RecordConsumption, context: CommandContext, streams: BatchStreams<ConsumptionEvent>, batchLatest: BatchLatestConsumption): Promise<Decision<ConsumptionEvent>> {
    const appId = parseIdentifier(command.data.appId, 'appId');
    const app = this.apps.get(appId);
    if (app === undefined) throw new UnknownConsumptionApp(appId);
    const priceBooks = await streams.state(priceBookStreamName(app.currency), PRICE_BOOK_STREAM);
    const streamName = consumptionStreamName(appId);
    const state = await streams.state(streamName, CONSUMPTION_STREAM);
    const record = decideRecordConsumption(command, state, { app, priceBooks, bookedAt: context.recordedAt });
    if (record === null) return { streamName, events: [] };
    const latest = batchLatest.get(app.currency);
    if (latest === undefined || latest < record.occurredAt) batchLatest.set(app.currency, record.occurredAt);
    return { streamName, events: [consumptionRecordedEvent(app, [record])] };
  }

  private async decidePublish(command: PublishPriceBook, context: CommandContext, streams: BatchStreams<ConsumptionEvent>, batchLatest: BatchLatestConsumption): Promise<Decision<ConsumptionEvent>> {
    const currency = parseCurrency(command.data.currency, 'currency');
    const streamName = priceBookStreamName(currency);
    const state = await streams.state(streamName, PRICE_BOOK_STREAM);
    const recorded = await this.latestConsumptionOccurredAt(currency);
    const inBatch = batchLatest.get(currency) ?? null;
    const latestConsumptionOccurredAt = recorded === null ? inBatch : inBatch === null || recorded > inBatch ? recorded : inBatch;
    return { streamName, events: decidePublishPriceBook(command, state, { latestConsumptionOccurredAt, bookedAt: context.recordedAt }) };
  }

  /** Latest consumption occurredAt per currency, from the read model, after a catch-up. */
  private async latestConsumptionOccurredAt(currency: string): Promise<string | null> {
    await this.catchUpReadModels();
    const result = await this.pool.query<{ latest: string }>(
      `SELECT to_char(latest_occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS latest FROM consumption_latest WHERE currency = $1`,
      [currency],
    );
    return result.rows.length === 0 ? null : result.rows[0].latest;
  }

  encode(event: ConsumptionEvent) {
    return encodeConsumptionEvent(event);
  }

  /**
   * Packs the records of consecutive commands with the same context (actor, booking time)
   * into `ConsumptionRecorded` events of up to `CONSUMPTION_RECORDS_PER_EVENT_MAXIMUM`
   * records. An event is named by its first record, which no stored event holds (the
   * decider filtered stored records out): a retry after a crash derives the same ids for
   * the same content.
   */
  coalesce(decided: readonly DecidedEvent<ConsumptionEvent>[]): DecidedEvent<ConsumptionEvent>[] {
    const packed: DecidedEvent<ConsumptionEvent>[] = [];
    for (const entry of decided) {
      if (entry.event.type !== 'ConsumptionRecorded') {
        packed.push(entry);
        continue;
      }
      const last = packed[packed.length - 1];
      const data = entry.event.data;
      if (
        last !== undefined && last.event.type === 'ConsumptionRecorded' && last.event.data.appId === data.appId
        && last.context.actor === entry.context.actor && last.context.recordedAt === entry.context.recordedAt
        && last.event.data.records.length + data.records.length <= CONSUMPTION_RECORDS_PER_EVENT_MAXIMUM
      ) {
        last.event.data.records.push(...data.records);
        continue;
      }
      const app: ConsumptionApp = { appId: data.appId, developerId: data.developerId, currency: data.currency };
      const first = data.records[0]!;
      packed.push({
        commandId: recordConsumptionCommandId(app.appId, first.recordId),
        eventIndex: 0,
        context: entry.context,
        event: consumptionRecordedEvent(app, [...data.records]),
      });
    }
    return packed;
  }

  outcomeEventsOf(): DeveloperEvent[] {
    return [];
  }

  // An event id stored in another stream: a price-book id already published in another currency.
  refuseDuplicateEventId(command: LedgerCommand): DomainError {
    return new DuplicatePriceBook(String(command.data.priceBookId ?? command.data.recordId));
  }

  committed(): void {}
}

/**
 * Decides `RecordConsumption` and `PublishPriceBook` and appends their events through the
 * write pipeline (`CommandWritePipeline`): one append per stream per batch, in one
 * transaction where the store allows it.
 *
 * A record id lives only in its stream, so an append that fails leaves nothing claimed: a
 * retry decides it again. Outcomes carry no developer events (`events: []`): the records of
 * a batch share `ConsumptionRecorded` events, so an event belongs to no single command.
 */
export class ConsumptionCommandService implements CommandHandlerGroup {
  readonly commandFields = CONSUMPTION_COMMAND_FIELDS;

  private readonly pipeline: CommandWritePipeline<LedgerCommand, ConsumptionEvent, BatchLatestConsumption>;

  constructor(store: EventStore, pool: Pool, catchUpReadModels: () => Promise<unknown>, options: WritePipelineOptions = {}) {
    this.pipeline = new CommandWritePipeline(store, new ConsumptionStreamDecider(pool, catchUpReadModels), catchUpReadModels, options);
  }

  execute(command: LedgerCommand, context: CommandContext): Promise<CommandOutcome> {
    return this.pipeline.execute(command, context);
  }

  executeBatch(commands: readonly LedgerCommand[], context: CommandContext): Promise<CommandOutcome[]> {
    return this.pipeline.executeBatch(commands, context);
  }
}

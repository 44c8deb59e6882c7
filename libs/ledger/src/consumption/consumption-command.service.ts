import type { Pool } from 'pg';
import {
  consumptionRecordedEvent, CONSUMPTION_RECORDS_PER_EVENT_MAXIMUM, decideRecordConsumption, decidePublishPriceBook,
  decodeConsumptionEvent, DomainError, DuplicatePriceBook, encodeConsumptionEvent, evolveConsumption, evolvePriceBooks,
  initialConsumptionState, initialPriceBookState, parseCurrency, parseIdentifier,
  type ConsumptionApp, type ConsumptionEvent, type ConsumptionRecord, type ConsumptionState, type PriceBookState,
  type PublishPriceBook, type RecordConsumption,
} from '../../../domain/src';
import { deriveEventId } from '../../../event-store/src/event-id';
import {
  StreamVersionConflictError, type EventStore, type ExpectedStreamVersion, type NewEvent, type StreamAppend,
} from '../../../event-store/src/event-store.port';
import type { CommandHandlerGroup, LedgerCommand } from '../command-bus';
import { appendStreams, executeIsolated } from '../command-batch-isolation';
import { eventHashOf } from '../event-hash';
import { StreamSnapshotCache, type StreamSnapshot } from '../stream-snapshot.cache';
import type { FieldKind } from '../jsonl-command.parser';
import { COMMAND_BATCH_MAXIMUM, EVENT_SCHEMA_VERSION, type CommandContext, type CommandOutcome } from '../ledger-command.service';

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

type Snapshot<State> = StreamSnapshot<State>;

type PendingStream = {
  snapshot: Snapshot<ConsumptionState> | Snapshot<PriceBookState>;
  /** The version the stream had when this batch read it: the expected version of the append. */
  expected: ExpectedStreamVersion;
  /** Encoded events to append, built after all commands are decided. */
  consumption?: { app: ConsumptionApp; records: ConsumptionRecord[] };
  priceBookEvents: { commandId: string; event: ConsumptionEvent }[];
};

type AppendPlan = { appends: StreamAppend[]; working: Map<string, Snapshot<unknown>> };

/**
 * Decides `RecordConsumption` and `PublishPriceBook` and appends their events: one append
 * per stream per batch, in one transaction where the store allows it. Streams:
 * `consumption-<appId>` (the record ids of the app) and `price-books-<currency>`.
 *
 * A record id lives only in its stream, so an append that fails leaves nothing claimed: a
 * retry decides it again. A command whose append fails is isolated (`executeIsolated`):
 * the others of its batch are recorded and it alone is `failed`. Batches of all callers run one at a time in this process; other
 * processes are fenced by the expected stream versions (bounded retry on conflict).
 *
 * Outcomes carry no developer events (`events: []`): the records of a batch share
 * `ConsumptionRecorded` events, so an event belongs to no single command.
 */
export class ConsumptionCommandService implements CommandHandlerGroup {
  readonly commandFields = CONSUMPTION_COMMAND_FIELDS;

  private readonly snapshots: StreamSnapshotCache;
  private readonly apps = new Map<string, ConsumptionApp>();
  private lane: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: EventStore,
    private readonly pool: Pool,
    private readonly catchUpReadModels: () => Promise<unknown>,
  ) {
    this.snapshots = new StreamSnapshotCache(store, STATE_CACHE_STREAMS_MAXIMUM, STREAM_READ_PAGE_EVENTS);
  }

  async execute(command: LedgerCommand, context: CommandContext): Promise<CommandOutcome> {
    const [outcome] = await this.executeBatch([command], context);
    return outcome!;
  }

  executeBatch(commands: readonly LedgerCommand[], context: CommandContext): Promise<CommandOutcome[]> {
    if (commands.length > COMMAND_BATCH_MAXIMUM) return Promise.reject(new Error(`a batch holds at most ${COMMAND_BATCH_MAXIMUM} commands`));
    const run = this.lane.catch(() => undefined).then(() => this.executeWithRetry(commands, context));
    this.lane = run;
    return run;
  }

  private async executeWithRetry(commands: readonly LedgerCommand[], context: CommandContext): Promise<CommandOutcome[]> {
    await this.resolveApps(commands);
    return executeIsolated(commands, {
      decideAndAppend: (part) => this.decideAndAppend(part, context),
      commandIdOf: consumptionCommandIdOf,
      // An event id stored in another stream: a price-book id already published in another currency.
      refuseDuplicateEventId: (command) => ({
        status: 'refused',
        commandId: consumptionCommandIdOf(command),
        error: new DuplicatePriceBook(String(command.data.priceBookId ?? command.data.recordId)),
      }),
    });
  }

  /** Looks up the apps of the batch in the `apps` read model, catching the read models up once if one is missing. */
  private async resolveApps(commands: readonly LedgerCommand[]): Promise<void> {
    const missing = new Set<string>();
    for (const command of commands) {
      const appId = command.data.appId;
      if (command.type === 'RecordConsumption' && typeof appId === 'string' && !this.apps.has(appId)) missing.add(appId);
    }
    if (missing.size === 0) return;
    await this.loadApps([...missing]);
    if ([...missing].some((appId) => !this.apps.has(appId))) {
      await this.catchUpReadModels();
      await this.loadApps([...missing].filter((appId) => !this.apps.has(appId)));
    }
  }

  private async loadApps(appIds: string[]): Promise<void> {
    if (appIds.length === 0) return;
    const result = await this.pool.query('SELECT app_id, developer_id, currency FROM apps WHERE app_id = ANY($1::text[])', [appIds]);
    if (this.apps.size + result.rows.length > APP_CACHE_ENTRIES_MAXIMUM) this.apps.clear();
    for (const row of result.rows as { app_id: string; developer_id: string; currency: string }[]) {
      // An app's developer and currency never change (an amendment may not change the currency).
      this.apps.set(row.app_id, { appId: row.app_id, developerId: row.developer_id, currency: row.currency });
    }
  }

  /** Latest consumption occurredAt per currency, from the read model, after a catch-up. */
  private async latestConsumptionOccurredAt(currency: string): Promise<string | null> {
    await this.catchUpReadModels();
    const result = await this.pool.query(
      `SELECT to_char(latest_occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS latest FROM consumption_latest WHERE currency = $1`,
      [currency],
    );
    return result.rows.length === 0 ? null : (result.rows[0].latest as string);
  }

  private async decideAndAppend(commands: readonly LedgerCommand[], context: CommandContext): Promise<CommandOutcome[]> {
    const pending = new Map<string, PendingStream>();
    const outcomes: CommandOutcome[] = [];
    /** Latest occurredAt of consumption decided in this batch, per currency (epoch ms). */
    const batchLatestConsumption = new Map<string, string>();

    const streamOf = async <State>(streamName: string, initial: () => State, evolve: (state: State, event: ConsumptionEvent) => State): Promise<PendingStream> => {
      let entry = pending.get(streamName);
      if (!entry) {
        const snapshot = await this.snapshots.take(streamName, {
          initial,
          evolveRecorded: (state: State, type: string, data: unknown) => evolve(state, decodeConsumptionEvent(type, data)),
        });
        entry = { snapshot: snapshot as PendingStream['snapshot'], expected: snapshot.version, priceBookEvents: [] };
        pending.set(streamName, entry);
      }
      return entry;
    };
    const priceBooksOf = (currency: string) => streamOf<PriceBookState>(priceBookStreamName(currency), initialPriceBookState, (state, event) => {
      if (event.type !== 'PriceBookPublished') throw new Error(`integrity: ${event.type} in a price-book stream`);
      return evolvePriceBooks(state, event);
    });

    for (const command of commands) {
      if (command.type === 'RecordConsumption') {
        const rawAppId = command.data.appId;
        const commandId = consumptionCommandIdOf(command);
        try {
          const appId = parseIdentifier(rawAppId, 'appId');
          const app = this.apps.get(appId);
          if (app === undefined) throw new UnknownConsumptionApp(appId);
          const priceBooks = (await priceBooksOf(app.currency)).snapshot.state as PriceBookState;
          const stream = await streamOf<ConsumptionState>(consumptionStreamName(appId), initialConsumptionState, (state, event) => {
            if (event.type !== 'ConsumptionRecorded') throw new Error(`integrity: ${event.type} in a consumption stream`);
            return evolveConsumption(state, event);
          });
          const state = stream.snapshot.state as ConsumptionState;
          const record = decideRecordConsumption(command as RecordConsumption, state, { app, priceBooks, bookedAt: context.recordedAt });
          if (record === null) {
            outcomes.push({ status: 'already_recorded', commandId, streamName: consumptionStreamName(appId), events: [] });
            continue;
          }
          evolveConsumption(state, consumptionRecordedEvent(app, [record]));
          stream.consumption ??= { app, records: [] };
          stream.consumption.records.push(record);
          const latest = batchLatestConsumption.get(app.currency);
          if (latest === undefined || latest < record.occurredAt) batchLatestConsumption.set(app.currency, record.occurredAt);
          outcomes.push({ status: 'recorded', commandId, streamName: consumptionStreamName(appId), events: [] });
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          outcomes.push({ status: 'refused', commandId, error });
        }
      } else if (command.type === 'PublishPriceBook') {
        const commandId = consumptionCommandIdOf(command);
        try {
          const currency = parseCurrency(command.data.currency, 'currency');
          const stream = await priceBooksOf(currency);
          const state = stream.snapshot.state as PriceBookState;
          const recorded = await this.latestConsumptionOccurredAt(currency);
          const inBatch = batchLatestConsumption.get(currency) ?? null;
          const latestConsumptionOccurredAt = recorded === null ? inBatch : inBatch === null || recorded > inBatch ? recorded : inBatch;
          const events = decidePublishPriceBook(command as PublishPriceBook, state, { latestConsumptionOccurredAt, bookedAt: context.recordedAt });
          const streamName = priceBookStreamName(currency);
          if (events.length === 0) {
            outcomes.push({ status: 'already_recorded', commandId, streamName, events: [] });
            continue;
          }
          for (const event of events) {
            evolvePriceBooks(state, event);
            stream.priceBookEvents.push({ commandId, event });
          }
          outcomes.push({ status: 'recorded', commandId, streamName, events: [] });
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          outcomes.push({ status: 'refused', commandId, error });
        }
      } else {
        throw new Error(`ConsumptionCommandService: not a consumption command: ${command.type}`);
      }
    }

    const plan = this.planAppends(pending, context);
    // A stream that appends nothing has no expected version to prove its cached state
    // current (cached states are used optimistically): check it, and decide again if not.
    const appended = new Set(plan.appends.map((append) => append.streamName));
    for (const [streamName, snapshot] of plan.working) {
      if (appended.has(streamName)) continue;
      if (!(await this.snapshots.isLatest(streamName, snapshot))) {
        for (const workingStream of plan.working.keys()) this.snapshots.forget(workingStream);
        throw new StreamVersionConflictError(streamName, snapshot.version, snapshot.version);
      }
    }
    try {
      await appendStreams(this.store, plan.appends);
    } catch (error) {
      // The working states hold records that may not be stored: forget them all.
      for (const streamName of pending.keys()) this.snapshots.forget(streamName);
      throw error;
    }
    for (const [streamName, snapshot] of plan.working) this.snapshots.putBack(streamName, snapshot);
    return outcomes;
  }

  /** Encodes the batch's events with their ids and hash chain; the states were already evolved while deciding. */
  private planAppends(pending: Map<string, PendingStream>, context: CommandContext): AppendPlan {
    const appends: StreamAppend[] = [];
    const working = new Map<string, Snapshot<unknown>>();
    for (const [streamName, entry] of pending) {
      const snapshot = entry.snapshot as Snapshot<unknown>;
      working.set(streamName, snapshot);
      const toAppend: { commandId: string; event: ConsumptionEvent }[] = [...entry.priceBookEvents];
      if (entry.consumption) {
        const { app, records } = entry.consumption;
        for (let start = 0; start < records.length; start += CONSUMPTION_RECORDS_PER_EVENT_MAXIMUM) {
          const chunk = records.slice(start, start + CONSUMPTION_RECORDS_PER_EVENT_MAXIMUM);
          // Named by its first record, which no stored event holds (the decider filtered stored
          // records out): a retry after a crash derives the same ids for the same content.
          toAppend.push({ commandId: `RecordConsumption:${app.appId}:${chunk[0]!.recordId}`, event: consumptionRecordedEvent(app, chunk) });
        }
      }
      if (toAppend.length === 0) continue;
      const events: NewEvent[] = [];
      let version = entry.expected;
      let lastEventHash = snapshot.lastEventHash;
      for (const { commandId, event } of toAppend) {
        const encoded = encodeConsumptionEvent(event);
        const eventHash = eventHashOf(encoded.type, encoded.data, lastEventHash);
        events.push({
          eventId: deriveEventId(commandId, 0),
          type: encoded.type,
          data: encoded.data,
          metadata: { commandId, actor: context.actor, recordedAt: context.recordedAt, schemaVersion: EVENT_SCHEMA_VERSION, previousEventHash: lastEventHash, eventHash },
        });
        lastEventHash = eventHash;
        version = version === 'no_stream' ? 0n : version + 1n;
      }
      appends.push({ streamName, events, expectedStreamVersion: entry.expected });
      snapshot.version = version;
      snapshot.lastEventHash = lastEventHash;
    }
    return { appends, working };
  }
}

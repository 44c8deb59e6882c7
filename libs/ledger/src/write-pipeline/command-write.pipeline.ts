import { assertInvariant, DomainError } from '@rsi/domain';
import type { DeveloperEvent } from '@rsi/domain';
import {
  deriveEventId, StreamVersionConflictError, type DuplicateEventIdError, type EventStore, type ExpectedStreamVersion, type AppendResult, type EventMetadata, type JsonObject, type NewEvent, type StreamAppend,
} from '@rsi/event-store';
import { appendStreams, executeIsolated } from './command-batch-isolation';
import type { CommandContext, CommandOutcome } from '../core/command-outcome';
import { EVENT_HASH_SCHEME_CURRENT, eventHashBodyV2Of, eventHashOf, hashOfEventBody } from '../core/event-hash';
import { StreamSnapshotCache, type StreamFold, type StreamSnapshot } from '../core/stream-snapshot.cache';

/** The schema version of the encoded events this code writes. */
export const EVENT_SCHEMA_VERSION = 1;
/** Commands decided together and appended in one transaction. */
export const COMMAND_BATCH_MAXIMUM = 10_000;
/** Commands of concurrent callers written in one group commit. */
const GROUP_COMMIT_COMMANDS_MAXIMUM = 1_000;

/** One kind of stream (a developer's, an app's consumption, a currency's price books): how its events become its state. */
export type StreamKind<State, Event> = {
  initial: () => State;
  /** Decodes one stored event (type, encoded data); throws if the type does not belong to the concern. */
  decode: (type: string, data: unknown) => Event;
  /** Applies one event; may mutate the state in place, and returns the state. Throws on an event foreign to this kind. */
  evolve: (state: State, event: Event) => State;
  /**
   * Lets go of what a state holds beyond its working set (a developer's receipts held
   * longest), in place; called on states that no decision is using (after a batch's append,
   * and between the pages of a stream read). Absent: the state keeps everything.
   */
  trim?: (state: State) => void;
  /** What a state holds that `trim` bounds (held receipts, say): the snapshot cache keeps the total bounded. */
  weigh?: (state: State) => number;
};

/** A stream's state with the version it stands for, for `StreamDecider.prepareBatch`. */
export type PreparedStreams<Event> = {
  snapshot<State>(streamName: string, kind: StreamKind<State, Event>): Promise<{ state: State; version: ExpectedStreamVersion }>;
};

/** The streams a batch has read, each in the state the batch's decided commands left it. */
export type BatchStreams<Event> = {
  /** The stream's state; its first read in a batch takes it from the snapshot cache or reads the store. */
  state<State>(streamName: string, kind: StreamKind<State, Event>): Promise<State>;
};

/** What a command decided: events for one stream it read; none when it is already recorded. */
export type Decision<Event> = { streamName: string; events: readonly Event[] };

/** A decided event waiting to be encoded: its id is derived from (commandId, eventIndex). */
export type DecidedEvent<Event> = { commandId: string; eventIndex: number; context: CommandContext; event: Event };

/**
 * The concern-specific part of a write pipeline (developer streams, consumption and price
 * books). Everything else — group commit, the snapshot cache, the conflict retry, the
 * isolation of a failing command, event ids, the hash chain, the metadata — is the
 * pipeline's.
 *
 * `Scratch` is what one attempt at a batch remembers between its commands (routes created
 * by an earlier command of the batch, say); it is made afresh for every attempt and handed
 * to `committed` only once the attempt's append succeeded.
 */
export type StreamDecider<Command, Event, Scratch> = {
  /** Decided states kept between batches, and the events read per page when a stream is read. */
  readonly snapshotCache: { streamsMaximum: number; readPageEvents: number; weightMaximum?: number };
  commandIdOf(command: Command): string;
  /**
   * Looks up, in the read models, whatever the commands need to find their stream (the
   * developer of an app, say). False if some of it is still unknown: the pipeline then
   * catches the read models up once and asks again.
   */
  lookUpRoutes(commands: readonly Command[]): Promise<boolean>;
  beginBatch(): Scratch;
  /**
   * Optional: runs once per attempt at a batch, before its commands are decided, with the
   * streams their states come from: a decider whose states hold a bounded working set
   * restores into them, in one read per stream, what the batch's commands will look up.
   */
  prepareBatch?(commands: readonly Command[], streams: PreparedStreams<Event>, scratch: Scratch): Promise<void>;
  /**
   * Decides one command on the states of the streams it reads through `streams`, each as
   * the batch's earlier commands left it. Throws a `DomainError` to refuse the command.
   * `context.recordedAt` is the booking time the domain bounds business times by.
   */
  decide(command: Command, context: CommandContext, streams: BatchStreams<Event>, scratch: Scratch): Promise<Decision<Event>>;
  encode(event: Event): { type: string; data: JsonObject };
  /**
   * Rewrites a stream's decided events before they are encoded (consumption packs the
   * records of a batch into shared events). Absent: each decided event is appended as it is.
   */
  coalesce?(decided: readonly DecidedEvent<Event>[]): DecidedEvent<Event>[];
  /** The events an outcome reports (consumption reports none: its events are shared). */
  outcomeEventsOf(events: readonly Event[]): DeveloperEvent[];
  /** The refusal of a command whose event id is stored in another stream (an id claimed by someone else). */
  refuseDuplicateEventId(command: Command, error: DuplicateEventIdError): DomainError;
  committed(scratch: Scratch): void;
};

type BatchItem<Command> = { command: Command; context: CommandContext };

type WorkingStream<Event> = {
  kind: StreamKind<unknown, Event>;
  snapshot: StreamSnapshot<unknown>;
  /** The version the stream had when this attempt read it: the expected version of its append. */
  expectedVersion: ExpectedStreamVersion;
  decided: DecidedEvent<Event>[];
};

/**
 * Where an event's booking time (`metadata.recordedAt`) comes from:
 * - `ledger-clock` (the default, and what the CLI and the API run): the store's clock at
 *   commit (`AppendCompletion`), one clock, strictly increasing in global order;
 * - `requested`: the command context's `recordedAt`, for tests that book a ledger at chosen
 *   past instants. The hash chain is computed at commit either way.
 * The domain's business-time checks always use the context's `recordedAt` (the booking
 * time estimated when the command is decided); the clock-skew allowance covers the time
 * from deciding to commit.
 */
export type BookingTimeSource = 'ledger-clock' | 'requested';

/**
 * The hash scheme the pipeline writes: 2 (always, in production). 1 exists only so that the
 * bench can measure, in one run, what scheme 2 and writer signatures cost against the ledger
 * as it was before them (`LedgerOptions.benchIntegrityBaseline`).
 */
export type WrittenHashScheme = 1 | 2;
export type WritePipelineOptions = { bookingTime?: BookingTimeSource; hashScheme?: WrittenHashScheme };

/** A decided event with everything but its booking time and hashes, which are known only at commit. */
type DraftEvent = { eventId: string; type: string; data: JsonObject; commandId: string; context: CommandContext };
type DraftAppend = { streamName: string; expectedStreamVersion: ExpectedStreamVersion; firstVersion: bigint; firstPreviousEventHash: string; events: DraftEvent[] };

/** One attempt at a batch: the streams it read, in order, and the order they append in. */
type Attempt<Event, Scratch> = {
  streams: Map<string, WorkingStream<Event>>;
  /** Streams in the order they append: see `decideOne`. */
  appendOrder: Set<string>;
  scratch: Scratch;
};

/**
 * Decides commands and appends their events: load the streams' states, decide, derive the
 * event ids, chain the hashes, append with the expected versions (one transaction for all
 * streams of a batch where the store allows it), retry on a version conflict, and isolate a
 * command whose append fails from the rest of its batch (`executeIsolated`).
 *
 * A batch is decided in order, each command on the state its predecessors left. Batches of
 * all callers run one at a time in this process; other processes are fenced by the expected
 * stream versions. On a conflict the batch is decided again on the re-read streams: the
 * deciders are idempotent, so what another writer recorded meanwhile comes back as
 * `already_recorded`.
 */
export class CommandWritePipeline<Command, Event, Scratch> {
  private readonly snapshots: StreamSnapshotCache;
  private readonly waiting: { item: BatchItem<Command>; resolve: (outcome: CommandOutcome) => void; reject: (error: unknown) => void }[] = [];
  private lane: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: EventStore,
    private readonly decider: StreamDecider<Command, Event, Scratch>,
    /** Brings the read models up to date with the store. */
    private readonly catchUpReadModels: () => Promise<unknown>,
    private readonly options: WritePipelineOptions = {},
  ) {
    this.snapshots = new StreamSnapshotCache(store, decider.snapshotCache.streamsMaximum, decider.snapshotCache.readPageEvents, decider.snapshotCache.weightMaximum);
  }

  /**
   * Decides one command. Concurrent callers are grouped: commands that arrive while a batch
   * is being written are decided and appended together in the next batch (group commit),
   * each with its own context, so many small requests cost few transactions.
   */
  execute(command: Command, context: CommandContext): Promise<CommandOutcome> {
    return new Promise<CommandOutcome>((resolve, reject) => {
      this.waiting.push({ item: { command, context }, resolve, reject });
      if (this.waiting.length === 1) void this.drainWaiting();
    });
  }

  /** Decides a batch in order and appends it; batches of all callers run one at a time. */
  executeBatch(commands: readonly Command[], context: CommandContext): Promise<CommandOutcome[]> {
    if (commands.length > COMMAND_BATCH_MAXIMUM) return Promise.reject(new Error(`a batch holds at most ${COMMAND_BATCH_MAXIMUM} commands`));
    return this.serialised(() => this.executeItems(commands.map((command) => ({ command, context }))));
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lane.catch(() => undefined).then(work);
    this.lane = run;
    return run;
  }

  private async drainWaiting(): Promise<void> {
    await this.serialised(async () => {
      while (this.waiting.length > 0) {
        const taken = this.waiting.splice(0, GROUP_COMMIT_COMMANDS_MAXIMUM);
        try {
          const outcomes = await this.executeItems(taken.map((entry) => entry.item));
          taken.forEach((entry, index) => entry.resolve(outcomes[index]!));
        } catch (error) {
          for (const entry of taken) entry.reject(error);
        }
      }
    });
  }

  private async executeItems(items: readonly BatchItem<Command>[]): Promise<CommandOutcome[]> {
    if (items.length > COMMAND_BATCH_MAXIMUM) throw new Error(`a batch holds at most ${COMMAND_BATCH_MAXIMUM} commands`);
    const commands = items.map((item) => item.command);
    if (!(await this.decider.lookUpRoutes(commands))) {
      await this.catchUpReadModels();
      await this.decider.lookUpRoutes(commands);
    }
    return executeIsolated(items, {
      decideAndAppend: (part) => this.decideAndAppend(part),
      commandIdOf: (item) => this.decider.commandIdOf(item.command),
      refuseDuplicateEventId: (item, error) => ({
        status: 'refused',
        commandId: this.decider.commandIdOf(item.command),
        error: this.decider.refuseDuplicateEventId(item.command, error),
      }),
    });
  }

  private async decideAndAppend(items: readonly BatchItem<Command>[]): Promise<CommandOutcome[]> {
    const attempt: Attempt<Event, Scratch> = { streams: new Map(), appendOrder: new Set(), scratch: this.decider.beginBatch() };
    if (this.decider.prepareBatch) {
      const prepared: PreparedStreams<Event> = {
        snapshot: async <State>(streamName: string, kind: StreamKind<State, Event>) => {
          const stream = await this.workingStream(attempt, streamName, kind as StreamKind<unknown, Event>);
          return { state: stream.snapshot.state as State, version: stream.snapshot.version };
        },
      };
      try {
        await this.decider.prepareBatch(items.map((item) => item.command), prepared, attempt.scratch);
      } catch (error) {
        // A state may have restored part of what it was asked for: read it again next time.
        this.forgetStreams(attempt);
        throw error;
      }
    }
    const outcomes: CommandOutcome[] = [];
    for (const item of items) outcomes.push(await this.decideOne(item, attempt));

    const drafts = this.draftAppends(attempt);
    const completion = this.completionOf(drafts);
    // Provisional events (requested booking times, no hashes): the store checks their
    // streams, versions, ids and types, and stores what the completion gives at commit
    // instead. Their hashes would be computed for nothing: every store completes an append
    // the pipeline hands it a completion with (the port's contract), so the hash chain is
    // computed once, at commit (it was computed twice: 1.2 s of the importing thread's
    // 11.6 s per 100k receipts, docs/benchmarks.md).
    const appends = completion.provisional();
    // A stream that appends nothing has no expected version to prove that the state its
    // commands were decided on is current (cached states are used optimistically): check
    // it, and decide again if it is not.
    const appended = new Set(appends.map((append) => append.streamName));
    for (const [streamName, stream] of attempt.streams) {
      if (appended.has(streamName)) continue;
      if (!(await this.snapshots.isLatest(streamName, stream.snapshot))) {
        this.forgetStreams(attempt);
        throw new StreamVersionConflictError(streamName, stream.snapshot.version, stream.snapshot.version);
      }
    }
    let results: AppendResult[];
    try {
      results = await appendStreams(this.store, appends, (bookedAt) => completion.complete(bookedAt));
    } catch (error) {
      // The working states were evolved with events that may not be stored: forget them.
      this.forgetStreams(attempt);
      throw error;
    }
    // The stored events are those of the completion's last call (the one of the committed
    // transaction), except on a stream whose events another writer had stored already (same
    // ids, other booking time and hashes): its state is read again before its next use.
    const alreadyStored = new Set(appends.filter((_, index) => results[index]?.alreadyStored === true).map((append) => append.streamName));
    for (const append of completion.lastCompleted()) {
      if (alreadyStored.has(append.streamName)) continue;
      const snapshot = attempt.streams.get(append.streamName)!.snapshot;
      const last = append.events[append.events.length - 1]!;
      snapshot.lastEventHash = last.metadata.eventHash;
      snapshot.version = firstVersionOf(append.expectedStreamVersion) + BigInt(append.events.length) - 1n;
    }
    for (const [streamName, stream] of attempt.streams) {
      if (alreadyStored.has(streamName)) {
        this.snapshots.forget(streamName);
      } else {
        stream.kind.trim?.(stream.snapshot.state);
        this.snapshots.putBack(streamName, stream.snapshot, stream.kind.weigh?.(stream.snapshot.state) ?? 0);
      }
    }
    this.decider.committed(attempt.scratch);
    return outcomes;
  }

  /**
   * Decides one command and evolves its stream's state with the decided events. A command
   * that records events gives every stream it read a place in the append order, in the
   * order it read them, if they have none yet: so a stream read as the context of a
   * decision (the price books a record is priced by) is appended before the events decided
   * on it, and a stream only read by refused or already recorded commands does not move
   * ahead of the streams written before it.
   */
  private async decideOne(item: BatchItem<Command>, attempt: Attempt<Event, Scratch>): Promise<CommandOutcome> {
    const commandId = this.decider.commandIdOf(item.command);
    const readStreamNames: string[] = [];
    const streams: BatchStreams<Event> = {
      state: async <State>(streamName: string, kind: StreamKind<State, Event>): Promise<State> => {
        const stream = await this.workingStream(attempt, streamName, kind as StreamKind<unknown, Event>);
        if (!readStreamNames.includes(streamName)) readStreamNames.push(streamName);
        return stream.snapshot.state as State;
      },
    };
    let decision: Decision<Event>;
    try {
      decision = await this.decider.decide(item.command, item.context, streams, attempt.scratch);
    } catch (error) {
      if (error instanceof DomainError) return { status: 'refused', commandId, error };
      throw error;
    }
    const stream = attempt.streams.get(decision.streamName);
    if (stream === undefined || !readStreamNames.includes(decision.streamName)) {
      throw new Error(`invariant broken: ${commandId} decided on ${decision.streamName}, a stream it did not read`);
    }
    if (decision.events.length === 0) return { status: 'already_recorded', commandId, streamName: decision.streamName, events: [] };
    for (const streamName of readStreamNames) attempt.appendOrder.add(streamName);
    decision.events.forEach((event, eventIndex) => {
      stream.snapshot.state = stream.kind.evolve(stream.snapshot.state, event);
      stream.decided.push({ commandId, eventIndex, context: item.context, event });
    });
    return { status: 'recorded', commandId, streamName: decision.streamName, events: this.decider.outcomeEventsOf(decision.events) };
  }

  private async workingStream(attempt: Attempt<Event, Scratch>, streamName: string, kind: StreamKind<unknown, Event>): Promise<WorkingStream<Event>> {
    const existing = attempt.streams.get(streamName);
    if (existing !== undefined) {
      if (existing.kind !== kind) throw new Error(`invariant broken: stream ${streamName} read as two kinds of stream`);
      return existing;
    }
    const fold: StreamFold<unknown> = { initial: kind.initial, evolveRecorded: (state, type, data) => kind.evolve(state, kind.decode(type, data)), trim: kind.trim };
    const snapshot = await this.snapshots.take(streamName, fold);
    const stream: WorkingStream<Event> = { kind, snapshot, expectedVersion: snapshot.version, decided: [] };
    attempt.streams.set(streamName, stream);
    return stream;
  }

  /** The attempt's events with their ids, in append order; booking time and hashes come at commit. */
  private draftAppends(attempt: Attempt<Event, Scratch>): DraftAppend[] {
    const drafts: DraftAppend[] = [];
    for (const streamName of attempt.appendOrder) {
      const stream = attempt.streams.get(streamName)!;
      if (stream.decided.length === 0) continue;
      const decided = this.decider.coalesce ? this.decider.coalesce(stream.decided) : stream.decided;
      const events = decided.map(({ commandId, eventIndex, context, event }): DraftEvent => {
        const encoded = this.decider.encode(event);
        return { eventId: deriveEventId(commandId, eventIndex), type: encoded.type, data: encoded.data, commandId, context };
      });
      drafts.push({
        streamName, expectedStreamVersion: stream.expectedVersion, firstVersion: firstVersionOf(stream.expectedVersion),
        // The working snapshot still holds the hash of the stream's last stored event: drafts do not move it.
        firstPreviousEventHash: stream.snapshot.lastEventHash, events,
      });
    }
    return drafts;
  }

  /**
   * The completion the store calls at commit with the booking time: stamps every event's
   * metadata and chains the scheme-2 hashes (which cover the booking time); the `requested`
   * source keeps each command's requested booking time. `provisional` gives the events
   * before commit, with requested booking times and no hashes, for the store's checks. Pure
   * in its drafts, so a transaction run again completes afresh; `lastCompleted` is what the
   * last call gave.
   */
  private completionOf(drafts: readonly DraftAppend[]): {
    provisional: () => StreamAppend[]; complete: (bookedAt: string) => StreamAppend[]; lastCompleted: () => StreamAppend[];
  } {
    let last: StreamAppend[] | null = null;
    const provisional = (): StreamAppend[] => drafts.map((draft) => ({
      streamName: draft.streamName,
      expectedStreamVersion: draft.expectedStreamVersion,
      events: draft.events.map((event, index): NewEvent => ({
        eventId: event.eventId, type: event.type, data: event.data,
        metadata: {
          commandId: event.commandId, actor: event.context.actor, recordedAt: event.context.recordedAt, schemaVersion: EVENT_SCHEMA_VERSION,
          // Empty on purpose: a provisional event is never stored (`lastCompleted` refuses to
          // hand out events no completion made), and an empty hash breaks every chain check.
          previousEventHash: index === 0 ? draft.firstPreviousEventHash : '', eventHash: '',
        },
      })),
    }));
    const complete = (bookedAt: string): StreamAppend[] => {
      const useRequested = this.options.bookingTime === 'requested';
      last = drafts.map((draft) => {
        let previousEventHash = draft.firstPreviousEventHash;
        const events = draft.events.map((event, index): NewEvent => {
          const metadata: EventMetadata = {
            commandId: event.commandId, actor: event.context.actor, recordedAt: useRequested ? event.context.recordedAt : bookedAt,
            schemaVersion: EVENT_SCHEMA_VERSION, hashScheme: EVENT_HASH_SCHEME_CURRENT, previousEventHash, eventHash: '',
          };
          if (this.options.hashScheme === 1) {
            delete metadata.hashScheme;
            metadata.eventHash = eventHashOf(event.type, event.data, previousEventHash);
            previousEventHash = metadata.eventHash;
            return { eventId: event.eventId, type: event.type, data: event.data, metadata };
          }
          const fields = { streamName: draft.streamName, streamVersion: draft.firstVersion + BigInt(index), eventId: event.eventId, type: event.type, data: event.data, metadata };
          metadata.eventHash = hashOfEventBody(eventHashBodyV2Of(fields, previousEventHash));
          previousEventHash = metadata.eventHash;
          return { eventId: event.eventId, type: event.type, data: event.data, metadata };
        });
        return { streamName: draft.streamName, events, expectedStreamVersion: draft.expectedStreamVersion };
      });
      return last;
    };
    const lastCompleted = (): StreamAppend[] => {
      // No drafts: nothing was appended, and no completion was due.
      if (drafts.length === 0) return [];
      assertInvariant(last !== null, 'the store appended without calling the completion: the events it stored have no hash chain');
      return last;
    };
    return { provisional, complete, lastCompleted };
  }

  private forgetStreams(attempt: Attempt<Event, Scratch>): void {
    for (const streamName of attempt.streams.keys()) this.snapshots.forget(streamName);
  }
}

/** The version of a stream's first appended event after `expected`. */
function firstVersionOf(expected: ExpectedStreamVersion): bigint {
  return expected === 'no_stream' ? 0n : expected + 1n;
}

import {
  decideDeveloper,
  decodeDeveloperEvent,
  DomainError,
  encodeDeveloperEvent,
  evolveDeveloper,
  initialDeveloperState,
  type DeveloperState,
} from '../../domain/src';
import type { DeveloperCommand } from '../../domain/src/ledger.commands';
import type { DeveloperEvent } from '../../domain/src/ledger.events';
import { deriveEventId } from '../../event-store/src/event-id';
import {
  StreamVersionConflictError,
  type EventStore,
  type ExpectedStreamVersion,
  type NewEvent,
} from '../../event-store/src/event-store.port';
import { appendStreams, executeIsolated } from './command-batch-isolation';
import { commandIdOf } from './command-id';
import type { CommandContext, CommandOutcome } from './command-outcome';
export type { CommandContext, CommandOutcome } from './command-outcome';
import type { CommandHandlerGroup, LedgerCommand } from './command-bus';
import { COMMAND_FIELDS } from './jsonl-command.parser';
import { CommandDirectory, developerStreamName, routeOf, routesCreatedBy, type RouteKey } from './command-routing';
import { eventHashOf } from './event-hash';
import { StreamSnapshotCache, type StreamFold, type StreamSnapshot as GenericStreamSnapshot } from './stream-snapshot.cache';

type DeveloperStreamSnapshot = GenericStreamSnapshot<DeveloperState>;

/** The schema version of the encoded events this code writes. */
export const EVENT_SCHEMA_VERSION = 1;
/** Commands decided together and appended in one transaction. */
export const COMMAND_BATCH_MAXIMUM = 10_000;
const STREAM_READ_PAGE_EVENTS = 10_000;
/** Decided developer states kept in memory, so that a batch does not re-read its streams. */
const STATE_CACHE_STREAMS_MAXIMUM = 10_000;

type BatchItem = { command: DeveloperCommand; context: CommandContext };
/** Commands of concurrent callers written in one group commit. */
const GROUP_COMMIT_COMMANDS_MAXIMUM = 1_000;

type StreamSnapshot = DeveloperStreamSnapshot;

const DEVELOPER_STREAM_FOLD: StreamFold<DeveloperState> = {
  initial: initialDeveloperState,
  evolveRecorded: (state, type, data) => evolveDeveloper(state, decodeDeveloperEvent(type, data)),
};

export class UnknownRouteError extends DomainError {
  constructor(key: RouteKey) {
    const field = key.kind === 'app' ? 'appId' : key.kind === 'receipt' ? 'receiptId' : 'payoutId';
    super(`unknown_${key.kind}`, 'not_found', `${field}: no ${key.kind} ${JSON.stringify(key.id)} is recorded`, field);
  }
}

export class DuplicateIdError extends DomainError {
  constructor(eventId: string) {
    super('duplicate_id', 'conflict', `the id of this command is already used by another developer's records (event ${eventId})`);
  }
}

/**
 * Decides commands on developer streams and appends their events. A batch of commands is
 * decided in order, each on the state its predecessors left, and appended with one call
 * per stream (one transaction for all streams where the store allows it). A refused
 * command writes nothing and does not stop the others; nor does a command whose append
 * fails (`executeIsolated`: the batch is halved until that command stands alone and
 * `failed`). On a version conflict the batch's streams are re-read and the batch decided
 * again: the deciders are idempotent, so what another writer recorded meanwhile comes back
 * as `already_recorded`.
 */
export class LedgerCommandService implements CommandHandlerGroup {
  readonly commandFields = COMMAND_FIELDS;

  private readonly snapshots: StreamSnapshotCache;

  constructor(
    private readonly store: EventStore,
    private readonly directory: CommandDirectory,
    /** Brings the read models (and so the directory) up to date with the store. */
    private readonly catchUpReadModels: () => Promise<unknown>,
  ) {
    this.snapshots = new StreamSnapshotCache(store, STATE_CACHE_STREAMS_MAXIMUM, STREAM_READ_PAGE_EVENTS);
  }

  /**
   * Decides one command. Concurrent callers are grouped: commands that arrive while a
   * batch is being written are decided and appended together in the next batch (group
   * commit), so many small requests cost few transactions.
   */
  execute(command: LedgerCommand, context: CommandContext): Promise<CommandOutcome> {
    return new Promise<CommandOutcome>((resolve, reject) => {
      this.waiting.push({ item: { command: command as DeveloperCommand, context }, resolve, reject });
      if (this.waiting.length === 1) void this.drainWaiting();
    });
  }

  /** Decides a batch in order and appends it; batches of all callers run one at a time. */
  executeBatch(commands: readonly LedgerCommand[], context: CommandContext): Promise<CommandOutcome[]> {
    return this.serialised(() => this.executeItems(commands.map((command) => ({ command: command as DeveloperCommand, context }))));
  }

  private readonly waiting: { item: BatchItem; resolve: (outcome: CommandOutcome) => void; reject: (error: unknown) => void }[] = [];
  private lane: Promise<unknown> = Promise.resolve();

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
          taken.forEach((entry, index) => entry.resolve(outcomes[index]));
        } catch (error) {
          for (const entry of taken) entry.reject(error);
        }
      }
    });
  }

  private async executeItems(items: readonly BatchItem[]): Promise<CommandOutcome[]> {
    if (items.length > COMMAND_BATCH_MAXIMUM) throw new Error(`a batch holds at most ${COMMAND_BATCH_MAXIMUM} commands`);
    await this.resolveRoutes(items.map((item) => item.command));
    return executeIsolated(items, {
      decideAndAppend: (part) => this.decideAndAppend(part),
      commandIdOf: (item) => commandIdOf(item.command),
      // An event id stored in another stream: this command reuses an id that belongs to
      // another developer (an app id registered twice, say).
      refuseDuplicateEventId: (item, error) => ({ status: 'refused', commandId: commandIdOf(item.command), error: new DuplicateIdError(error.eventId) }),
    });
  }

  /** Finds the developer of every command that does not name it, catching the read models up once if needed. */
  private async resolveRoutes(commands: readonly DeveloperCommand[]): Promise<void> {
    const keys: RouteKey[] = [];
    for (const command of commands) {
      const route = routeOf(command);
      if ('kind' in route) keys.push(route);
    }
    if (keys.length === 0) return;
    await this.directory.resolve(keys);
    if (keys.some((key) => this.directory.cached(key) === undefined)) {
      await this.catchUpReadModels();
      await this.directory.resolve(keys);
    }
  }

  private async decideAndAppend(items: readonly BatchItem[]): Promise<CommandOutcome[]> {
    const working = new Map<string, StreamSnapshot>();
    const pending = new Map<string, { expected: ExpectedStreamVersion; events: NewEvent[] }>();
    const batchRoutes = new Map<string, string>();
    const outcomes: CommandOutcome[] = [];
    const routeKeyString = (key: RouteKey) => `${key.kind}\u0000${key.id}`;

    for (const { command, context } of items) {
      const commandId = commandIdOf(command);
      const route = routeOf(command);
      let developerId: string | undefined;
      if ('kind' in route) {
        developerId = batchRoutes.get(routeKeyString(route)) ?? this.directory.cached(route);
        if (developerId === undefined) {
          outcomes.push({ status: 'refused', commandId, error: new UnknownRouteError(route) });
          continue;
        }
      } else {
        developerId = route.developerId;
      }
      const streamName = developerStreamName(developerId);
      let snapshot = working.get(streamName);
      if (!snapshot) {
        snapshot = await this.snapshots.take(streamName, DEVELOPER_STREAM_FOLD);
        working.set(streamName, snapshot);
      }
      let decided: DeveloperEvent[];
      try {
        decided = decideDeveloper(command, snapshot.state, { bookedAt: context.recordedAt });
      } catch (error) {
        if (error instanceof DomainError) {
          outcomes.push({ status: 'refused', commandId, error });
          continue;
        }
        throw error;
      }
      if (decided.length === 0) {
        outcomes.push({ status: 'already_recorded', commandId, streamName, events: [] });
        continue;
      }
      let streamPending = pending.get(streamName);
      if (!streamPending) {
        streamPending = { expected: snapshot.version, events: [] };
        pending.set(streamName, streamPending);
      }
      decided.forEach((event, eventIndex) => {
        const encoded = encodeDeveloperEvent(event);
        const eventHash = eventHashOf(encoded.type, encoded.data, snapshot!.lastEventHash);
        streamPending!.events.push({
          eventId: deriveEventId(commandId, eventIndex),
          type: encoded.type,
          data: encoded.data,
          metadata: {
            commandId,
            actor: context.actor,
            recordedAt: context.recordedAt,
            schemaVersion: EVENT_SCHEMA_VERSION,
            previousEventHash: snapshot!.lastEventHash,
            eventHash,
          },
        });
        snapshot!.state = evolveDeveloper(snapshot!.state, event);
        snapshot!.lastEventHash = eventHash;
        snapshot!.version = snapshot!.version === 'no_stream' ? 0n : snapshot!.version + 1n;
      });
      for (const key of routesCreatedBy(command, developerId)) batchRoutes.set(routeKeyString(key), developerId);
      outcomes.push({ status: 'recorded', commandId, streamName, events: decided });
    }

    // A stream whose commands appended nothing has no expected version to prove that the
    // state they were decided on is current: check it, and decide again if it is not.
    for (const [streamName, snapshot] of working) {
      if (pending.has(streamName)) continue;
      if (!(await this.snapshots.isLatest(streamName, snapshot))) {
        for (const workingStream of working.keys()) this.snapshots.forget(workingStream);
        throw new StreamVersionConflictError(streamName, snapshot.version, snapshot.version);
      }
    }

    try {
      await appendStreams(this.store, [...pending].map(([streamName, { expected, events }]) => ({ streamName, events, expectedStreamVersion: expected })));
    } catch (error) {
      // The working states were evolved with events that may not be stored: forget them.
      for (const streamName of working.keys()) this.snapshots.forget(streamName);
      throw error;
    }
    for (const [streamName, snapshot] of working) this.snapshots.putBack(streamName, snapshot);
    for (const [key, developerId] of batchRoutes) {
      const [kind, id] = key.split('\u0000') as [RouteKey['kind'], string];
      this.directory.remember({ kind, id }, developerId);
    }
    return outcomes;
  }
}

import {
  decideDeveloper, decodeDeveloperEvent, DomainError, encodeDeveloperEvent, evolveDeveloper, initialDeveloperState, type DeveloperState, parseIdentifier, parseText, NAME_LENGTH_MAXIMUM,
  checkPayoutRunMatches, parseCurrency, parseInstant, parseRunId, restoreHeldRecords, trimHeldReceipts,
} from '@rsi/domain';
import type { AssessRunPayout, DeveloperCommand, ErasePersonalData, RegisterDeveloper, DeveloperEvent, RunPayouts } from '@rsi/domain';
import type { PersonalDataKeys } from '@rsi/database';
import { deriveEventId, type DuplicateEventIdError, type EventStore } from '@rsi/event-store';
import { commandIdOf } from '../core/command-id';
import type { CommandContext, CommandOutcome } from '../core/command-outcome';
export type { CommandContext, CommandOutcome } from '../core/command-outcome';
import type { CommandHandlerGroup, LedgerCommand } from '../core/command-bus';
import { COMMAND_FIELDS } from '../import/jsonl-command.parser';
import { CommandDirectory, developerStreamName, routeOf, routesCreatedBy, type RouteKey } from './command-routing';
import {
  CommandWritePipeline, type BatchStreams, type WritePipelineOptions, type Decision, type PreparedStreams, type StreamDecider, type StreamKind,
} from '../write-pipeline/command-write.pipeline';
import { COMMAND_BATCH_MAXIMUM } from '../write-pipeline/command-write.pipeline';
export { COMMAND_BATCH_MAXIMUM, EVENT_SCHEMA_VERSION } from '../write-pipeline/command-write.pipeline';

const STREAM_READ_PAGE_EVENTS = 10_000;
/** Decided developer states kept in memory, so that a batch does not re-read its streams. */
const STATE_CACHE_STREAMS_MAXIMUM = 10_000;

/**
 * Receipts a developer state holds in memory (with their refunds and disputes), and what the
 * cached states hold together. Beyond them the oldest are let go, and a command that names
 * one is given it back from the stored events before it is decided (`prepareBatch`): so an
 * import's memory does not grow with the ledger's history. ~0.4 kB per held receipt.
 */
export const HELD_RECEIPTS_PER_STREAM_DEFAULT = 4_096;
const HELD_RECEIPTS_TOTAL_MAXIMUM = 200_000;

export type DeveloperWriteOptions = WritePipelineOptions & {
  /** Receipts held per developer state (tests set it small); only on a store that can read a receipt's history. */
  heldReceiptsPerStreamMaximum?: number;
};

function developerStreamKind(heldReceiptsMaximum: number | null): StreamKind<DeveloperState, DeveloperEvent> {
  const kind: StreamKind<DeveloperState, DeveloperEvent> = { initial: initialDeveloperState, decode: decodeDeveloperEvent, evolve: evolveDeveloper };
  if (heldReceiptsMaximum === null) return kind;
  return {
    ...kind,
    trim: (state) => { trimHeldReceipts(state, heldReceiptsMaximum); },
    weigh: (state) => state.receipts.size + state.refunds.size + state.disputes.size,
  };
}

/** What one developer stream's commands of a batch look up: receipts (with their history), refunds and disputes. */
type HeldLookups = { receiptIds: Set<string>; refundIds: Set<string>; disputeIds: Set<string> };

function idOf(data: unknown, field: string): string | null {
  const value = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[field] : undefined;
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** The id of the first event a command records (its natural key), as `commandIdOf` and the pipeline derive it. */
function firstEventIdOf(type: 'RecordRevenue' | 'RefundRevenue' | 'OpenDispute', id: string): string {
  const field = type === 'RecordRevenue' ? 'receiptId' : type === 'RefundRevenue' ? 'refundId' : 'disputeId';
  return deriveEventId(commandIdOf({ type, data: { [field]: id } } as unknown as DeveloperCommand), 0);
}

export class UnknownRouteError extends DomainError {
  constructor(key: RouteKey) {
    const field = `${key.kind}Id`;
    super(`unknown_${key.kind}`, 'not_found', `${field}: no ${key.kind} ${JSON.stringify(key.id)} is recorded`, field);
  }
}

export class DuplicateIdError extends DomainError {
  /** The message names nothing of the other records (no event id, no developer): they may be another developer's. */
  constructor() {
    super('duplicate_id', 'conflict', 'the id of this command is already used by other records of the ledger');
  }
}

/** Routes created by the commands of one attempt at a batch, for the commands after them (route key → developer id). */
type BatchRoutes = Map<string, { key: RouteKey; developerId: string }>;

function routeKeyString(key: RouteKey): string {
  return `${key.kind}\u0000${key.id}`;
}

/** Developer commands: the stream `developer-<developerId>`, found through the command directory when a command does not name its developer. */
class DeveloperStreamDecider implements StreamDecider<DeveloperCommand, DeveloperEvent, BatchRoutes> {
  readonly snapshotCache: { streamsMaximum: number; readPageEvents: number; weightMaximum?: number };
  private readonly streamKind: StreamKind<DeveloperState, DeveloperEvent>;

  constructor(
    private readonly store: EventStore,
    private readonly directory: CommandDirectory,
    private readonly personalDataKeys: PersonalDataKeys,
    heldReceiptsPerStreamMaximum: number,
  ) {
    // A store that cannot read a receipt's history keeps every receipt held, as before.
    const bounded = store.readReceiptHistory !== undefined;
    this.streamKind = developerStreamKind(bounded ? heldReceiptsPerStreamMaximum : null);
    this.snapshotCache = {
      streamsMaximum: STATE_CACHE_STREAMS_MAXIMUM, readPageEvents: STREAM_READ_PAGE_EVENTS,
      ...(bounded ? { weightMaximum: Math.max(HELD_RECEIPTS_TOTAL_MAXIMUM, heldReceiptsPerStreamMaximum) } : {}),
    };
  }

  commandIdOf(command: DeveloperCommand): string {
    return commandIdOf(command);
  }

  async lookUpRoutes(commands: readonly DeveloperCommand[]): Promise<boolean> {
    const keys: RouteKey[] = [];
    for (const command of commands) {
      const route = routeOf(command);
      if ('kind' in route) keys.push(route);
    }
    if (keys.length === 0) return true;
    await this.directory.resolve(keys);
    return keys.every((key) => this.directory.cached(key) !== undefined);
  }

  beginBatch(): BatchRoutes {
    return new Map();
  }

  /**
   * Gives each developer state back the receipts, refunds and disputes the batch's commands
   * name and it no longer holds, from the stored events (one read per stream): the domain
   * then decides duplicates, refunds and disputes exactly as on a state that held
   * everything. A command whose developer is not known yet is left alone: its receipt is
   * recorded by an earlier command of the same batch (so held), or it is refused.
   */
  async prepareBatch(commands: readonly DeveloperCommand[], streams: PreparedStreams<DeveloperEvent>): Promise<void> {
    const readHistory = this.store.readReceiptHistory?.bind(this.store);
    if (readHistory === undefined) return;
    const lookupsByStream = new Map<string, HeldLookups>();
    for (const command of commands) {
      if (command.type !== 'RecordRevenue' && command.type !== 'RefundRevenue' && command.type !== 'OpenDispute' && command.type !== 'ResolveDispute') continue;
      const route = routeOf(command);
      const developerId = 'kind' in route ? this.directory.cached(route) : route.developerId;
      if (typeof developerId !== 'string') continue;
      const streamName = developerStreamName(developerId);
      let lookups = lookupsByStream.get(streamName);
      if (lookups === undefined) {
        lookups = { receiptIds: new Set(), refundIds: new Set(), disputeIds: new Set() };
        lookupsByStream.set(streamName, lookups);
      }
      const receiptId = idOf(command.data, 'receiptId');
      if (receiptId !== null && command.type !== 'ResolveDispute') lookups.receiptIds.add(receiptId);
      const refundId = command.type === 'RefundRevenue' ? idOf(command.data, 'refundId') : null;
      if (refundId !== null) lookups.refundIds.add(refundId);
      const disputeId = command.type === 'OpenDispute' || command.type === 'ResolveDispute' ? idOf(command.data, 'disputeId') : null;
      if (disputeId !== null) lookups.disputeIds.add(disputeId);
    }
    for (const [streamName, lookups] of lookupsByStream) {
      const { state, version } = await streams.snapshot(streamName, this.streamKind);
      if (version === 'no_stream') continue;
      const receiptIds = [...lookups.receiptIds].filter((id) => !state.receipts.has(id));
      const refundIds = [...lookups.refundIds].filter((id) => !state.refunds.has(id));
      const disputeIds = [...lookups.disputeIds].filter((id) => !state.disputes.has(id));
      if (receiptIds.length === 0 && refundIds.length === 0 && disputeIds.length === 0) continue;
      const eventIds = [
        ...receiptIds.map((id) => firstEventIdOf('RecordRevenue', id)),
        ...refundIds.map((id) => firstEventIdOf('RefundRevenue', id)),
        ...disputeIds.map((id) => firstEventIdOf('OpenDispute', id)),
      ];
      const found = await readHistory(streamName, { eventIds, receiptIds, toStreamVersion: version });
      const decoded = found.map((recorded) => decodeDeveloperEvent(recorded.type, recorded.data));
      // A recorded refund or dispute may name another receipt than its command: that
      // receipt, with its history, is read too, so that the refund or dispute is held.
      const restoredReceiptIds = new Set(receiptIds);
      const otherReceiptIds = new Set<string>();
      for (const event of decoded) {
        if ((event.type === 'RevenueRefunded' || event.type === 'DisputeOpened') && !restoredReceiptIds.has(event.data.receiptId) && !state.receipts.has(event.data.receiptId)) {
          otherReceiptIds.add(event.data.receiptId);
        }
      }
      if (otherReceiptIds.size > 0) {
        const others = [...otherReceiptIds];
        const more = await readHistory(streamName, { eventIds: others.map((id) => firstEventIdOf('RecordRevenue', id)), receiptIds: others, toStreamVersion: version });
        const seen = new Set(found.map((recorded) => recorded.streamVersion));
        for (const recorded of more) if (!seen.has(recorded.streamVersion)) found.push(recorded);
        found.sort((left, right) => (left.streamVersion < right.streamVersion ? -1 : left.streamVersion > right.streamVersion ? 1 : 0));
        restoreHeldRecords(state, found.map((recorded) => decodeDeveloperEvent(recorded.type, recorded.data)));
      } else {
        restoreHeldRecords(state, decoded);
      }
    }
  }

  async decide(command: DeveloperCommand, context: CommandContext, streams: BatchStreams<DeveloperEvent>, routes: BatchRoutes): Promise<Decision<DeveloperEvent>> {
    const route = routeOf(command);
    let developerId: string;
    if ('kind' in route) {
      const found = routes.get(routeKeyString(route))?.developerId ?? this.directory.cached(route);
      if (found === undefined) throw new UnknownRouteError(route);
      developerId = found;
    } else {
      developerId = route.developerId;
    }
    const streamName = developerStreamName(developerId);
    const state = await streams.state(streamName, this.streamKind);
    const protectedCommand = command.type === 'RegisterDeveloper' ? await this.protectName(command) : command;
    const events = decideDeveloper(protectedCommand, state, { bookedAt: context.recordedAt });
    if (events.length > 0) {
      for (const key of routesCreatedBy(command, developerId)) routes.set(routeKeyString(key), { key, developerId });
    }
    return { streamName, events };
  }

  /**
   * Encrypts the registration's name under the developer's data key before the domain sees
   * the command, so that the event holds ciphertext only (docs/audit.md "Personal data").
   * The id and the name are checked first: a key is never made for an id the domain
   * refuses, and the name's limits are those of the plaintext. Encryption is randomised, so
   * a re-sent registration gives another ciphertext; the domain compares commitments.
   */
  private async protectName(command: RegisterDeveloper): Promise<RegisterDeveloper> {
    const data = command.data as RegisterDeveloper['data'] | null;
    if (typeof data !== 'object' || data === null) return command;
    const developerId = parseIdentifier(data.developerId, 'developerId');
    const name = parseText(data.name, 'name', NAME_LENGTH_MAXIMUM);
    const nameProtection = await this.personalDataKeys.protectName(developerId, name);
    return { type: command.type, data: { ...data, nameProtection } };
  }

  encode(event: DeveloperEvent) {
    return encodeDeveloperEvent(event);
  }

  outcomeEventsOf(events: readonly DeveloperEvent[]): DeveloperEvent[] {
    return [...events];
  }

  // An event id stored in another stream: this command reuses an id that belongs to
  // another developer (an app id registered twice, say).
  refuseDuplicateEventId(_command: DeveloperCommand, _error: DuplicateEventIdError): DomainError {
    return new DuplicateIdError();
  }

  committed(routes: BatchRoutes): void {
    for (const { key, developerId } of routes.values()) this.directory.remember(key, developerId);
  }
}

/**
 * Decides commands on developer streams and appends their events, through the write
 * pipeline (`CommandWritePipeline`: group commit, conflict retry, isolation of a command
 * whose append fails). A command that names no developer (a receipt names its app) is
 * routed through the command directory; an unknown route catches the read models up once
 * and is otherwise `refused`.
 */
export class LedgerCommandService implements CommandHandlerGroup {
  readonly commandFields = COMMAND_FIELDS;

  private readonly pipeline: CommandWritePipeline<DeveloperCommand, DeveloperEvent, BatchRoutes>;

  constructor(
    store: EventStore,
    private readonly directory: CommandDirectory,
    /** Brings the read models (and so the directory) up to date with the store. */
    private readonly catchUpReadModels: () => Promise<unknown>,
    private readonly personalDataKeys: PersonalDataKeys,
    /** Where booking times come from: the store's ledger clock at commit (default) or the context; receipts held per stream. */
    options: DeveloperWriteOptions = {},
  ) {
    const { heldReceiptsPerStreamMaximum = HELD_RECEIPTS_PER_STREAM_DEFAULT, ...pipelineOptions } = options;
    if (!Number.isSafeInteger(heldReceiptsPerStreamMaximum) || heldReceiptsPerStreamMaximum < 1) throw new RangeError('heldReceiptsPerStreamMaximum must be a positive integer');
    this.pipeline = new CommandWritePipeline(
      store, new DeveloperStreamDecider(store, directory, personalDataKeys, heldReceiptsPerStreamMaximum), catchUpReadModels, pipelineOptions,
    );
  }

  /**
   * Erases a developer's personal data: records `PersonalDataErased` on the developer's
   * stream, then destroys the data key. The event comes first, so that a crash between the
   * two leaves a recorded erasure whose key a repeated request destroys (the repeat is
   * `already_recorded` and destroys the key again); never a destroyed key without its event.
   */
  async erasePersonalData(request: { developerId: string; reason: string | null }, context: CommandContext): Promise<CommandOutcome> {
    const command: ErasePersonalData = { type: 'ErasePersonalData', data: { developerId: request.developerId, reason: request.reason } };
    const outcome = await this.pipeline.execute(command, context);
    if (outcome.status === 'recorded' || outcome.status === 'already_recorded') {
      await this.personalDataKeys.destroy({ developerId: request.developerId, erasedAt: context.recordedAt, erasedBy: context.actor, reason: request.reason });
    }
    return outcome;
  }

  /** Decides one command; concurrent callers are written together (group commit). A payout run is fanned out. */
  execute(command: LedgerCommand, context: CommandContext): Promise<CommandOutcome> {
    if (command.type === 'RunPayouts') return this.runPayouts(command as unknown as RunPayouts, context);
    return this.pipeline.execute(command as DeveloperCommand, context);
  }

  /** Decides a batch in order and appends it; batches of all callers run one at a time. A payout run is fanned out in its place. */
  async executeBatch(commands: readonly LedgerCommand[], context: CommandContext): Promise<CommandOutcome[]> {
    if (!commands.some((command) => command.type === 'RunPayouts')) return this.pipeline.executeBatch(commands as readonly DeveloperCommand[], context);
    const outcomes: CommandOutcome[] = [];
    let pending: DeveloperCommand[] = [];
    for (const command of commands) {
      if (command.type !== 'RunPayouts') { pending.push(command as DeveloperCommand); continue; }
      if (pending.length > 0) outcomes.push(...await this.pipeline.executeBatch(pending, context));
      pending = [];
      outcomes.push(await this.runPayouts(command as unknown as RunPayouts, context));
    }
    if (pending.length > 0) outcomes.push(...await this.pipeline.executeBatch(pending, context));
    return outcomes;
  }

  /**
   * A payout run (docs/domain.md "Payout runs"): one `AssessRunPayout` per developer with a
   * balance in the currency (after catching the read models up, so that the commands before it
   * count), decided in batches of at most COMMAND_BATCH_MAXIMUM (one transaction each on
   * PostgreSQL). A run id already assessed is re-sent to the developers it assessed only,
   * each of whom decides nothing again: re-running a run id changes nothing. `recorded` with
   * every event written, `already_recorded` when nothing was, `refused` when nothing was and a
   * developer's part was refused (the first refusal).
   */
  private async runPayouts(command: RunPayouts, context: CommandContext): Promise<CommandOutcome> {
    const commandId = `RunPayouts:${String(command.data.runId)}`;
    let runId: string;
    let currency: string;
    let asOf: string;
    try {
      runId = parseRunId(command.data.runId);
      currency = parseCurrency(command.data.currency, 'currency');
      asOf = parseInstant(command.data.asOf, 'asOf').iso;
    } catch (error) {
      if (error instanceof DomainError) return { status: 'refused', commandId, error };
      throw error;
    }
    await this.catchUpReadModels();
    const candidates = await this.directory.payoutRunCandidates(runId, currency);
    if (candidates.recorded !== null) {
      try {
        checkPayoutRunMatches(runId, candidates.recorded, { currency, asOf });
      } catch (error) {
        if (error instanceof DomainError) return { status: 'refused', commandId, error };
        throw error;
      }
    }
    const parts: AssessRunPayout[] = candidates.developerIds.map((developerId) => ({ type: 'AssessRunPayout', data: { runId, developerId, currency, asOf } }));
    const outcomes: CommandOutcome[] = [];
    for (let start = 0; start < parts.length; start += COMMAND_BATCH_MAXIMUM) {
      outcomes.push(...await this.pipeline.executeBatch(parts.slice(start, start + COMMAND_BATCH_MAXIMUM), context));
    }
    const events = outcomes.flatMap((outcome) => (outcome.status === 'recorded' ? outcome.events : []));
    const streamName = `payout-run-${runId}`;
    if (events.length > 0 || (candidates.recorded === null && outcomes.every((outcome) => outcome.status === 'recorded'))) {
      return { status: 'recorded', commandId, streamName, events };
    }
    const unsuccessful = outcomes.find((outcome) => outcome.status === 'refused' || outcome.status === 'failed');
    if (unsuccessful !== undefined && (unsuccessful.status === 'refused' || unsuccessful.status === 'failed')) return { ...unsuccessful, commandId };
    return { status: 'already_recorded', commandId, streamName, events: [] };
  }
}

import { DomainError } from '@rsi/domain';
import { isDatabaseUnavailableError } from '@rsi/database';
import {
  DuplicateEventIdError,
  StreamVersionConflictError,
  type EventStore,
  type AppendCompletion,
  type AppendResult,
  type StreamAppend,
} from '@rsi/event-store';
import { CommandFailure, type CommandFailureCode, type CommandOutcome } from '../core/command-outcome';

/** Attempts of one (part of a) batch whose streams another writer changed meanwhile. */
export const CONFLICT_ATTEMPTS_MAXIMUM = 8;
/**
 * Before attempt n+1 a batch waits a random delay below CONFLICT_BACKOFF_FIRST_MILLISECONDS ·
 * 2^(n−1) (at most about 1.3 s in all). Why random: two API instances that group-commit
 * batches touching the same developer streams conflict with each other in lock-step; retried
 * at once, both re-read, decide and append again at the same moment and conflict again
 * (measured: 5 immediate attempts were not enough for 8 clients over 2 instances and 4
 * developers). A random wait lets one of them commit first.
 */
const CONFLICT_BACKOFF_FIRST_MILLISECONDS = 10;

/** A conflict that outlived its retries: the batch was not written, and sending it again is safe. */
export class WriteContentionError extends Error {
  constructor(readonly conflict: StreamVersionConflictError) {
    super(`the batch met a concurrent writer ${CONFLICT_ATTEMPTS_MAXIMUM} times: ${conflict.message}`);
    this.name = 'WriteContentionError';
  }
}

/** What a write pipeline (developer streams, consumption) lends the isolation. */
export type IsolatedBatchPipeline<Item> = {
  /**
   * Decides the items in order on the stored state and appends their events in one
   * transaction where the store allows it. Throws if the append (or anything else) fails;
   * then nothing of the attempt is kept in the pipeline's caches.
   */
  decideAndAppend(items: readonly Item[]): Promise<CommandOutcome[]>;
  commandIdOf(item: Item): string;
  /** The refusal of a command whose event id is stored in another stream (an id claimed by someone else). */
  refuseDuplicateEventId(item: Item, error: DuplicateEventIdError): CommandOutcome;
};

/**
 * Decides and appends a batch so that one command's failure never fails another's. A batch
 * whose append throws for a reason that may lie in one of its commands (a duplicate event
 * id, a data or integrity error of the database, a bug met by one command's data) is cut in
 * two halves, in order, and each half is decided and appended again: the second half on the
 * state the first one left, so file order holds. A single command that still throws is
 * refused (duplicate event id) or `failed`; every other command is recorded. A half that
 * committed is never appended again, so its outcomes stay `recorded`.
 *
 * Not blamed on any command, and so thrown for the whole batch: the database being
 * unavailable, and a version conflict that outlived its retries (`WriteContentionError`).
 *
 * Bounded: halves nest at most ceil(log2 n) deep; k failing commands cost about
 * 2·k·log2(n) attempts, and n failing commands (a fault of every command) at most 2n − 1.
 */
export async function executeIsolated<Item>(items: readonly Item[], pipeline: IsolatedBatchPipeline<Item>): Promise<CommandOutcome[]> {
  if (items.length === 0) return [];
  const depthMaximum = Math.ceil(Math.log2(items.length));
  const outcomes = await executePart(items, pipeline, 0, depthMaximum);
  if (outcomes.length !== items.length) throw new Error(`invariant broken: ${outcomes.length} outcomes for ${items.length} commands`);
  return outcomes;
}

async function executePart<Item>(
  items: readonly Item[],
  pipeline: IsolatedBatchPipeline<Item>,
  depth: number,
  depthMaximum: number,
): Promise<CommandOutcome[]> {
  if (depth > depthMaximum) throw new Error(`invariant broken: batch isolation ${depth} halves deep, at most ${depthMaximum}`);
  try {
    return await decideAndAppendWithConflictRetry(items, pipeline);
  } catch (error) {
    if (!isBlamedOnCommands(error)) throw error;
    if (items.length === 1) return [outcomeOfFailedCommand(items[0]!, error, pipeline)];
    const middle = Math.ceil(items.length / 2);
    // In order, one after the other: the second half is decided on what the first recorded.
    const first = await executePart(items.slice(0, middle), pipeline, depth + 1, depthMaximum);
    const second = await executePart(items.slice(middle), pipeline, depth + 1, depthMaximum);
    return [...first, ...second];
  }
}

async function decideAndAppendWithConflictRetry<Item>(items: readonly Item[], pipeline: IsolatedBatchPipeline<Item>): Promise<CommandOutcome[]> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await pipeline.decideAndAppend(items);
    } catch (error) {
      // The deciders are idempotent: deciding again on the re-read streams turns what another
      // writer recorded meanwhile into `already_recorded`.
      if (!(error instanceof StreamVersionConflictError)) throw error;
      if (attempt >= CONFLICT_ATTEMPTS_MAXIMUM) throw new WriteContentionError(error);
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * CONFLICT_BACKOFF_FIRST_MILLISECONDS * 2 ** (attempt - 1))));
    }
  }
}

/** False for errors that say nothing about the commands: the whole batch fails with them. */
function isBlamedOnCommands(error: unknown): boolean {
  if (error instanceof StreamVersionConflictError || error instanceof WriteContentionError) return false;
  return !isDatabaseUnavailableError(error);
}

function outcomeOfFailedCommand<Item>(item: Item, error: unknown, pipeline: IsolatedBatchPipeline<Item>): CommandOutcome {
  if (error instanceof DuplicateEventIdError) return pipeline.refuseDuplicateEventId(item, error);
  const commandId = pipeline.commandIdOf(item);
  if (error instanceof DomainError) return { status: 'refused', commandId, error };
  return { status: 'failed', commandId, error: new CommandFailure(commandFailureCodeOf(error), error) };
}

/** SQLSTATE classes that blame the data: 22 data exception, 23 integrity constraint violation. */
const NOT_STORABLE_SQLSTATE_CLASSES = new Set(['22', '23']);

export function commandFailureCodeOf(error: unknown): CommandFailureCode {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && NOT_STORABLE_SQLSTATE_CLASSES.has(code.slice(0, 2))) {
    return 'command_not_storable';
  }
  return 'internal_error';
}

/**
 * Appends a batch's streams: in one transaction where the store offers it, else one stream
 * after the other (such a store may keep the first streams of a batch whose later stream
 * fails; their commands come back `already_recorded` when the isolation decides them again).
 */
export async function appendStreams(store: EventStore, appends: readonly StreamAppend[], complete?: AppendCompletion): Promise<AppendResult[]> {
  if (appends.length > 1 && store.appendToStreams) return store.appendToStreams([...appends], { complete });
  const results: AppendResult[] = [];
  for (const append of appends) {
    // One stream at a time (a store without multi-stream transactions): each append is
    // booked on its own, and completes only its own stream.
    const completeOne: AppendCompletion | undefined = complete && ((bookedAt) => complete(bookedAt).filter((completed) => completed.streamName === append.streamName));
    results.push(await store.appendToStream(append.streamName, append.events, { expectedStreamVersion: append.expectedStreamVersion, complete: completeOne }));
  }
  return results;
}

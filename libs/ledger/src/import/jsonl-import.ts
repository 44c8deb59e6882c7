import { statSync } from 'node:fs';
import { DomainError, IMPORT_BATCH_DEFAULT, IMPORT_BATCH_MAXIMUM } from '@rsi/domain';
import type { CommandBus, LedgerCommand } from '../core/command-bus';
import type { CommandContext } from '../core/command-outcome';
import { isBlankLine, readJsonlLines } from '../input/jsonl-line.reader';
import { CommandShapeInvalid, COMMAND_LINE_BYTES_MAXIMUM } from './jsonl-command.parser';

/** Refused lines kept for the report; the count goes on beyond it. */
const REPORTED_REFUSALS_MAXIMUM = 1_000;

/**
 * A line that wrote nothing: refused by the domain, or failed alone while the other lines
 * of its batch were recorded (then `underlyingError` holds the database's error, for the
 * operator).
 */
export type ImportRefusal = { lineNumber: number; code: string; field?: string; message: string; underlyingError?: unknown };

export type ImportSummary = {
  linesRead: number;
  commandsRecorded: number;
  commandsAlreadyRecorded: number;
  linesRefused: number;
  refusals: ImportRefusal[];
  eventsProjected: number;
  elapsedMilliseconds: number;
};

export type ImportProgress = { bytesRead: number; bytesTotal: number; linesRead: number };

/**
 * Imports a JSONL file of commands, in file order, in batches of `batchSize` commands
 * (each batch one append per stream, in one transaction where the store allows it).
 * Idempotent: every command carries its natural key, so a rerun — after success or after a
 * crash half-way — records only what is missing. A bad line is refused with its number and
 * reason, nothing of it is written, and the import goes on with the other lines: also a
 * line the database refuses to store (the batch is halved around it, `executeIsolated`).
 */
export async function importJsonlFile(options: {
  filePath: string;
  bus: CommandBus;
  context: () => CommandContext;
  batchSize?: number;
  /**
   * Brings the read models up to date; called in the background after batches, and once at
   * the end with `final: true`, which must project every event committed before the call.
   */
  catchUpReadModels: (round?: { final: boolean }) => Promise<{ eventsApplied: number }>;
  onProgress?: (progress: ImportProgress) => void;
  onRefusal?: (refusal: ImportRefusal) => void;
  /** Reads the clock for the summary's elapsed time; the caller owns the clock. */
  nowMilliseconds: () => number;
}): Promise<ImportSummary> {
  const batchSize = options.batchSize ?? IMPORT_BATCH_DEFAULT;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > IMPORT_BATCH_MAXIMUM) {
    throw new Error(`--batch must be an integer within 1..${IMPORT_BATCH_MAXIMUM}`);
  }
  const startedAt = options.nowMilliseconds();
  const bytesTotal = statSync(options.filePath).size;
  const summary: ImportSummary = {
    linesRead: 0, commandsRecorded: 0, commandsAlreadyRecorded: 0, linesRefused: 0, refusals: [], eventsProjected: 0, elapsedMilliseconds: 0,
  };
  const refuse = (refusal: ImportRefusal) => {
    summary.linesRefused += 1;
    if (summary.refusals.length < REPORTED_REFUSALS_MAXIMUM) summary.refusals.push(refusal);
    options.onRefusal?.(refusal);
  };

  // The read models catch up in the background while the next batches are parsed, decided
  // and appended: the projector's transaction (rows + checkpoint) runs on its own
  // connection, so the import's CPU work and the database's projection work overlap instead
  // of taking turns. At most one catch-up runs at a time (the projector serialises them
  // anyway); the last one, awaited below, reaches the head the import wrote.
  let projecting: Promise<void> | null = null;
  let projectionFailure: { error: unknown } | null = null;
  const projectInBackground = () => {
    if (projecting !== null) return;
    projecting = options.catchUpReadModels({ final: false })
      .then((result) => { summary.eventsProjected += result.eventsApplied; })
      .catch((error: unknown) => { projectionFailure ??= { error }; })
      .finally(() => { projecting = null; });
  };
  // Read through a function: at the final await TypeScript would narrow the `let` to its
  // initial null, not seeing that projectInBackground assigns it, and the wait would look void.
  const projectionInFlight = (): Promise<void> | null => projecting;
  const throwIfProjectionFailed = () => {
    if (projectionFailure !== null) throw projectionFailure.error;
  };

  let bytesRead = 0;
  let batch: { lineNumber: number; command: LedgerCommand }[] = [];
  const flush = async () => {
    throwIfProjectionFailed();
    if (batch.length === 0) return;
    const outcomes = await options.bus.executeBatch(batch.map((entry) => entry.command), options.context());
    outcomes.forEach((outcome, index) => {
      const lineNumber = batch[index].lineNumber;
      switch (outcome.status) {
        case 'recorded':
          summary.commandsRecorded += 1;
          break;
        case 'already_recorded':
          summary.commandsAlreadyRecorded += 1;
          break;
        case 'refused':
          refuse({ lineNumber, code: outcome.error.code, field: outcome.error.field, message: outcome.error.message });
          break;
        case 'failed':
          refuse({ lineNumber, code: outcome.error.code, message: outcome.error.message, underlyingError: outcome.error.underlyingError });
          break;
      }
    });
    batch = [];
    options.onProgress?.({ bytesRead, bytesTotal, linesRead: summary.linesRead });
    projectInBackground();
  };

  // Lines are read as bytes and parsed by the strict JSON reader one by one: a refused line
  // (invalid UTF-8, malformed or hostile JSON, wrong shape) never enters a batch, so it
  // cannot affect the other lines, and it is reported with its number.
  for await (const { lineNumber, bytes, byteLength } of readJsonlLines(options.filePath, { lineBytesMaximum: COMMAND_LINE_BYTES_MAXIMUM })) {
    bytesRead += byteLength + 1;
    if (bytes !== null && isBlankLine(bytes)) continue;
    summary.linesRead += 1;
    try {
      if (bytes === null) throw new CommandShapeInvalid(`line longer than ${COMMAND_LINE_BYTES_MAXIMUM} bytes`);
      batch.push({ lineNumber, command: options.bus.parseLine(bytes) });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      refuse({ lineNumber, code: error.code, field: error.field, message: error.message });
    }
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  await projectionInFlight();
  throwIfProjectionFailed();
  summary.eventsProjected += (await options.catchUpReadModels({ final: true })).eventsApplied;
  summary.elapsedMilliseconds = options.nowMilliseconds() - startedAt;
  return summary;
}

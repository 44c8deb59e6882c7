import type { DomainError, DeveloperEvent } from '@rsi/domain';

export type CommandContext = {
  /** API key id or `cli:<user>`. */
  actor: string;
  /**
   * Booking time, read from the clock by the caller (never by the domain), a normalised ISO
   * instant. It is stored as every event's `recordedAt` and handed to the deciders as
   * `bookedAt`, which bound the command's business times by it.
   */
  recordedAt: string;
};

/**
 * `command_not_storable`: the database refused this command's data (a data exception,
 * SQLSTATE class 22, or an integrity error, class 23, other than a duplicate event id): the
 * caller's data is at fault. `internal_error`: anything else this one command alone made
 * fail; the ledger's fault.
 */
export type CommandFailureCode = 'command_not_storable' | 'internal_error';

const SAFE_MESSAGE_OF_FAILURE_CODE: Record<CommandFailureCode, string> = {
  command_not_storable: 'the ledger could not store this command\'s data; nothing of it was written',
  internal_error: 'internal error while storing this command; nothing of it was written, and it has been logged',
};

/**
 * Why one command of a batch failed while the others were recorded. The message is safe to
 * show to any client; the underlying error (SQL text, stack) is for the operator's log only.
 */
export class CommandFailure extends Error {
  constructor(
    readonly code: CommandFailureCode,
    readonly underlyingError: unknown,
  ) {
    super(SAFE_MESSAGE_OF_FAILURE_CODE[code]);
    this.name = 'CommandFailure';
  }
}

export type CommandOutcome =
  | { status: 'recorded'; commandId: string; streamName: string; events: DeveloperEvent[] }
  | { status: 'already_recorded'; commandId: string; streamName: string; events: [] }
  | { status: 'refused'; commandId: string; error: DomainError }
  /** Nothing of the command was written; the other commands of its batch were decided without it. */
  | { status: 'failed'; commandId: string; error: CommandFailure };

import type { DomainError } from '../../domain/src';
import type { DeveloperEvent } from '../../domain/src/ledger.events';

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

export type CommandOutcome =
  | { status: 'recorded'; commandId: string; streamName: string; events: DeveloperEvent[] }
  | { status: 'already_recorded'; commandId: string; streamName: string; events: [] }
  | { status: 'refused'; commandId: string; error: DomainError };

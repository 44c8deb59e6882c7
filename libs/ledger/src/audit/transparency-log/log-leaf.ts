import { canonicalJson } from '@rsi/domain';
import type { RecordedEvent } from '@rsi/event-store';
import { leafHashOf } from './merkle-log';

/**
 * The entry of the transparency log for one event (scheme `rsi-ledger/log-leaf/v1`,
 * docs/audit.md "Tree heads and consistency proofs"). Pure: no I/O, no clock.
 *
 * The entry is the UTF-8 bytes of the canonical JSON (keys sorted, no spaces) of
 * `{eventHash, eventId, recordedAt, scheme, streamName, streamVersion}`, `streamVersion` a
 * decimal string. The event hash binds the event's body; the other fields bind what the
 * hash of today's events does not cover (where the event sits and when it was booked), so
 * that moving an event to another stream, version or booking time changes its leaf.
 */
export const LOG_LEAF_SCHEME = 'rsi-ledger/log-leaf/v1';
const HEX_HASH_PATTERN = /^[0-9a-f]{64}$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Stream names and booking times are short; longer ones are not this ledger's. */
const STREAM_NAME_LENGTH_MAXIMUM = 512;
const RECORDED_AT_LENGTH_MAXIMUM = 64;
const STREAM_VERSION_PATTERN = /^(0|[1-9][0-9]{0,18})$/;

export type LogLeafFields = {
  eventHash: string;
  eventId: string;
  recordedAt: string;
  streamName: string;
  /** Decimal string. */
  streamVersion: string;
};

/** The fields of an event's leaf, or a reason why they cannot be one (never throws). */
export function logLeafFieldsProblem(fields: LogLeafFields): string | null {
  if (typeof fields.eventHash !== 'string' || !HEX_HASH_PATTERN.test(fields.eventHash)) return 'eventHash must be 64 lower-case hex digits';
  if (typeof fields.eventId !== 'string' || !UUID_PATTERN.test(fields.eventId)) return 'eventId must be a lower-case UUID';
  if (typeof fields.recordedAt !== 'string' || fields.recordedAt.length === 0 || fields.recordedAt.length > RECORDED_AT_LENGTH_MAXIMUM) {
    return `recordedAt must be a string of 1 to ${RECORDED_AT_LENGTH_MAXIMUM} characters`;
  }
  if (typeof fields.streamName !== 'string' || fields.streamName.length === 0 || fields.streamName.length > STREAM_NAME_LENGTH_MAXIMUM) {
    return `streamName must be a string of 1 to ${STREAM_NAME_LENGTH_MAXIMUM} characters`;
  }
  if (typeof fields.streamVersion !== 'string' || !STREAM_VERSION_PATTERN.test(fields.streamVersion)) return 'streamVersion must be a decimal string';
  return null;
}

/** The log entry's bytes. Throws on fields that cannot be a leaf (a programming error or a forged event). */
export function logLeafDataOf(fields: LogLeafFields): Buffer {
  const problem = logLeafFieldsProblem(fields);
  if (problem !== null) throw new Error(`log leaf: ${problem}`);
  return Buffer.from(canonicalJson({
    eventHash: fields.eventHash, eventId: fields.eventId, recordedAt: fields.recordedAt, scheme: LOG_LEAF_SCHEME,
    streamName: fields.streamName, streamVersion: fields.streamVersion,
  }), 'utf8');
}

export function logLeafFieldsOfEvent(recorded: RecordedEvent): LogLeafFields {
  return {
    eventHash: recorded.metadata.eventHash, eventId: recorded.eventId, recordedAt: recorded.metadata.recordedAt,
    streamName: recorded.streamName, streamVersion: recorded.streamVersion.toString(),
  };
}

/** SHA-256(0x00 ‖ entry): the event's leaf hash in the log. */
export function logLeafHashOfEvent(recorded: RecordedEvent): Buffer {
  return leafHashOf(logLeafDataOf(logLeafFieldsOfEvent(recorded)));
}

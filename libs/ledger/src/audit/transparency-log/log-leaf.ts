import type { RecordedEvent } from '@rsi/event-store';
import { logLeafBytesOf, type LogLeafFields } from '../verifier/log-inclusion';
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
export { LOG_LEAF_SCHEME, logLeafFieldsProblem, type LogLeafFields } from '../verifier/log-inclusion';

/** The log entry's bytes. Throws on fields that cannot be a leaf (a programming error or a forged event). */
export function logLeafDataOf(fields: LogLeafFields): Buffer {
  return Buffer.from(logLeafBytesOf(fields));
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

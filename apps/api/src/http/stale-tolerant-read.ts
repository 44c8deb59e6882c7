import type { Response } from 'express';
import type { StaleTolerantReader } from '@rsi/database';

/** Which server answered a stale-tolerant read: `replica` or `primary`. */
export const READ_SOURCE_HEADER = 'Rsi-Read-Source';
/** On a read answered by the replica: its replay lag in milliseconds (`unknown` when it cannot tell). */
export const REPLICA_LAG_HEADER = 'Rsi-Replica-Lag-Milliseconds';

/** Tells the client where a stale-tolerant read (export, unit economics) was answered, and how stale it may be. */
export function markStaleTolerantRead(response: Response, reader: StaleTolerantReader): void {
  response.setHeader(READ_SOURCE_HEADER, reader.source);
  if (reader.source === 'replica') response.setHeader(REPLICA_LAG_HEADER, reader.lagMilliseconds === null ? 'unknown' : String(reader.lagMilliseconds));
}

/** The OpenAPI description of both headers, for the routes that set them. */
export const STALE_TOLERANT_READ_HEADERS = {
  [READ_SOURCE_HEADER]: { description: '`replica` (the standby of DATABASE_READ_URL) or `primary` (no replica configured, or it did not answer).', schema: { type: 'string', enum: ['replica', 'primary'] } },
  [REPLICA_LAG_HEADER]: { description: 'Only when read from the replica: its replay lag in milliseconds, or `unknown`.', schema: { type: 'string' } },
};

import type { PoolClient, Pool } from 'pg';
import type { GlobalPosition, RecordedEvent } from '@rsi/event-store';
import { defineTable } from './read-model-table';
import { insertRow, quoteIdentifier } from './sql-bulk';

/** An error message is stored and shown up to this length. */
export const FAILURE_MESSAGE_LENGTH_MAXIMUM = 2_000;
/**
 * Open failures per projection. Beyond it a failure is no longer a poisoned event but a
 * projection that cannot apply anything (a bug, a missing table): the projector stops
 * instead of holding back stream after stream.
 */
export const OPEN_FAILURES_PER_PROJECTION_MAXIMUM = 100;

export type FailureResolution = 'retried' | 'skipped';

/** Migration 0006. A failure is inserted open; the database numbers it and stamps its first attempt. */
export const PROJECTION_FAILURES_TABLE = defineTable('projection_failures', [
  ['failure_id', 'int8', 'default'], ['projection_name', 'text'], ['commit_position', 'numeric'], ['prepare_position', 'numeric'],
  ['event_id', 'uuid'], ['stream_name', 'text'], ['stream_version', 'int8'], ['event_type', 'text'], ['error_message', 'text'],
  ['attempts', 'int4', 'default'], ['first_failed_at', 'timestamptz', 'default'], ['last_failed_at', 'timestamptz', 'default'],
  ['resolution', 'text?'], ['resolved_by', 'text?'], ['resolved_at', 'timestamptz?'], ['resolution_reason', 'text?'],
]);

/** One event a projection could not apply, with everything that names it. */
export type ProjectionFailure = {
  failureId: string;
  projectionName: string;
  position: GlobalPosition;
  eventId: string;
  streamName: string;
  streamVersion: bigint;
  eventType: string;
  errorMessage: string;
  attempts: number;
  firstFailedAt: string;
  lastFailedAt: string;
  resolution: FailureResolution | null;
  resolvedBy: string | null;
  resolvedAt: string | null;
  resolutionReason: string | null;
};

/** `commit/prepare`, the form every message and the CLI use for a global position. */
export function formatPosition(position: GlobalPosition): string {
  return `${position.commit}/${position.prepare}`;
}

const POSITION_PATTERN = /^([0-9]{1,20})\/([0-9]{1,20})$/;

/** Parses `commit/prepare`; null when the text is not one. */
export function parsePosition(text: string): GlobalPosition | null {
  const match = POSITION_PATTERN.exec(text.trim());
  if (match === null) return null;
  return { commit: BigInt(match[1]!), prepare: BigInt(match[2]!) };
}

/** The one line that names a failed event: projection, position, stream, version, id, type. */
export function describeFailedEvent(failure: Pick<ProjectionFailure, 'projectionName' | 'position' | 'streamName' | 'streamVersion' | 'eventId' | 'eventType'>): string {
  return `projection ${failure.projectionName}: event at position ${formatPosition(failure.position)} (stream ${failure.streamName} version ${failure.streamVersion}, id ${failure.eventId}, type ${failure.eventType})`;
}

export function boundedMessage(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).trim() || 'error without a message';
  return text.length <= FAILURE_MESSAGE_LENGTH_MAXIMUM ? text : `${text.slice(0, FAILURE_MESSAGE_LENGTH_MAXIMUM - 1)}…`;
}

const FAILURE_COLUMNS = `failure_id::text AS failure_id, projection_name, commit_position::text AS commit_position, prepare_position::text AS prepare_position,
  event_id::text AS event_id, stream_name, stream_version::text AS stream_version, event_type, error_message, attempts,
  to_char(first_failed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS first_failed_at,
  to_char(last_failed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last_failed_at,
  resolution, resolved_by, to_char(resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS resolved_at, resolution_reason`;

function failureOf(row: Record<string, string | number | null>): ProjectionFailure {
  return {
    failureId: String(row.failure_id),
    projectionName: String(row.projection_name),
    position: { commit: BigInt(String(row.commit_position)), prepare: BigInt(String(row.prepare_position)) },
    eventId: String(row.event_id),
    streamName: String(row.stream_name),
    streamVersion: BigInt(String(row.stream_version)),
    eventType: String(row.event_type),
    errorMessage: String(row.error_message),
    attempts: Number(row.attempts),
    firstFailedAt: String(row.first_failed_at),
    lastFailedAt: String(row.last_failed_at),
    resolution: row.resolution === null ? null : (String(row.resolution) as FailureResolution),
    resolvedBy: row.resolved_by === null ? null : String(row.resolved_by),
    resolvedAt: row.resolved_at === null ? null : String(row.resolved_at),
    resolutionReason: row.resolution_reason === null ? null : String(row.resolution_reason),
  };
}

/**
 * The `projection_failures` table of one schema: `public` live, a scratch schema during a
 * rebuild (which holds a copy of the live skips, so that the rebuild skips exactly them).
 */
export class ProjectionFailureTable {
  constructor(private readonly schema: string) {}

  private get table(): string {
    return `${quoteIdentifier(this.schema)}.${quoteIdentifier(PROJECTION_FAILURES_TABLE.name)}`;
  }

  /** Open failures (oldest first), optionally of one projection; `forUpdate` locks them in the caller's transaction. */
  async readOpen(queryable: Pool | PoolClient, options: { projectionName?: string; forUpdate?: boolean } = {}): Promise<ProjectionFailure[]> {
    const result = await queryable.query(
      `SELECT ${FAILURE_COLUMNS} FROM ${this.table}
        WHERE resolution IS NULL AND ($1::text IS NULL OR projection_name = $1::text)
        ORDER BY commit_position, prepare_position, projection_name LIMIT ${OPEN_FAILURES_PER_PROJECTION_MAXIMUM * 16}${options.forUpdate ? ' FOR UPDATE' : ''}`,
      [options.projectionName ?? null],
    );
    return result.rows.map(failureOf);
  }

  /** Every failure ever recorded, resolved or not, oldest first, at most `limit`. */
  async readAll(queryable: Pool | PoolClient, limit: number): Promise<ProjectionFailure[]> {
    const result = await queryable.query(`SELECT ${FAILURE_COLUMNS} FROM ${this.table} ORDER BY failure_id LIMIT $1`, [limit]);
    return result.rows.map(failureOf);
  }

  /**
   * What a batch from `first` to `last` must leave out, per projection: the streams held by
   * an open failure, and the events an operator decided to skip.
   */
  async readExclusions(client: PoolClient, first: GlobalPosition, last: GlobalPosition): Promise<BatchExclusions> {
    const result = await client.query(
      `SELECT projection_name, stream_name, event_id::text AS event_id, resolution FROM ${this.table}
        WHERE resolution IS NULL
           OR (resolution = 'skipped' AND (commit_position, prepare_position) >= ($1::numeric, $2::numeric)
                                      AND (commit_position, prepare_position) <= ($3::numeric, $4::numeric))`,
      [first.commit.toString(), first.prepare.toString(), last.commit.toString(), last.prepare.toString()],
    );
    const exclusions = new BatchExclusions();
    for (const row of result.rows as { projection_name: string; stream_name: string; event_id: string; resolution: string | null }[]) {
      if (row.resolution === null) exclusions.holdStream(row.projection_name, row.stream_name);
      else exclusions.skipEvent(row.projection_name, row.event_id);
    }
    return exclusions;
  }

  async insertOpen(client: PoolClient, projectionName: string, event: RecordedEvent, errorMessage: string): Promise<void> {
    await insertRow(client, this.schema, PROJECTION_FAILURES_TABLE, {
      projection_name: projectionName, commit_position: event.globalPosition.commit, prepare_position: event.globalPosition.prepare,
      event_id: event.eventId, stream_name: event.streamName, stream_version: event.streamVersion, event_type: event.type,
      error_message: errorMessage, resolution: null, resolved_by: null, resolved_at: null, resolution_reason: null,
    });
  }

  /** The same event failed again on a retry: one more attempt on the open row. */
  async recordAttempt(client: PoolClient, failureId: string, errorMessage: string): Promise<void> {
    const result = await client.query(
      `UPDATE ${this.table} SET attempts = attempts + 1, last_failed_at = now(), error_message = $2 WHERE failure_id = $1 AND resolution IS NULL`,
      [failureId, errorMessage],
    );
    if (result.rowCount !== 1) throw new Error(`invariant: failure ${failureId} is open while it is retried`);
  }

  async resolve(client: PoolClient, failureId: string, resolution: FailureResolution, actor: string, reason: string | null): Promise<void> {
    const result = await client.query(
      `UPDATE ${this.table} SET resolution = $2, resolved_by = $3, resolved_at = now(), resolution_reason = $4 WHERE failure_id = $1 AND resolution IS NULL`,
      [failureId, resolution, actor, reason],
    );
    if (result.rowCount !== 1) throw new Error(`invariant: failure ${failureId} is open while it is resolved`);
  }
}

/** Per projection: streams held back, and event ids skipped. */
export class BatchExclusions {
  private readonly heldStreams = new Map<string, Set<string>>();
  private readonly skippedEvents = new Map<string, Set<string>>();

  holdStream(projectionName: string, streamName: string): void {
    let streams = this.heldStreams.get(projectionName);
    if (!streams) { streams = new Set(); this.heldStreams.set(projectionName, streams); }
    streams.add(streamName);
  }

  skipEvent(projectionName: string, eventId: string): void {
    let events = this.skippedEvents.get(projectionName);
    if (!events) { events = new Set(); this.skippedEvents.set(projectionName, events); }
    events.add(eventId);
  }

  heldCount(projectionName: string): number {
    return this.heldStreams.get(projectionName)?.size ?? 0;
  }

  /** The events of the batch that this projection applies. */
  eventsFor(projectionName: string, events: readonly RecordedEvent[]): readonly RecordedEvent[] {
    const held = this.heldStreams.get(projectionName);
    const skipped = this.skippedEvents.get(projectionName);
    if (!held && !skipped) return events;
    return events.filter((event) => !held?.has(event.streamName) && !skipped?.has(event.eventId));
  }
}

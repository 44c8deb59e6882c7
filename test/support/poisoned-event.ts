import * as crypto from 'node:crypto';
import type { Pool } from 'pg';
import type { JsonObject } from '@rsi/event-store';
import { expectedEventHashOf } from '@rsi/ledger';

export type PoisonedEvent = { eventId: string; streamName: string; streamVersion: bigint; receiptId: string };

/**
 * Writes, with SQL straight into the event store's tables, the event of issue #10: a
 * `RevenueRecorded` that occurred on 9999-12-31 with a hold of days, so that its
 * `availableAt` falls in year 10000 and no codec can decode it. Its other fields are copied
 * from the stream's last receipt, and it is hash-chained like any appended event (the same
 * columns the PostgreSQL store writes, and the stream row moved), so that only its
 * `availableAt` is wrong.
 */
export async function appendPoisonedReceipt(pool: Pool, options: { developerId: string; receiptId: string }): Promise<PoisonedEvent> {
  return appendReceiptWithSql(pool, { ...options, occurredAt: '9999-12-31T12:00:00.000Z', availableAt: '+010000-01-14T12:00:00.000Z' });
}

/** A well-formed receipt appended the same way (a later event of a held stream, when the decider cannot append one). */
export async function appendReceiptWithSql(
  pool: Pool, options: { developerId: string; receiptId: string; occurredAt: string; availableAt: string },
): Promise<PoisonedEvent> {
  const streamName = `developer-${options.developerId}`;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const stream = await client.query(`SELECT stream_version::text AS version FROM streams WHERE stream_name = $1 FOR UPDATE`, [streamName]);
    if (stream.rows.length !== 1) throw new Error(`no stream ${streamName}`);
    const lastVersion = BigInt(stream.rows[0].version);
    const last = await client.query(`SELECT metadata::text AS metadata FROM events WHERE stream_name = $1 AND stream_version = $2`, [streamName, lastVersion.toString()]);
    const receipt = await client.query(
      `SELECT data::text AS data, metadata::text AS metadata FROM events WHERE stream_name = $1 AND type = 'RevenueRecorded' ORDER BY stream_version DESC LIMIT 1`,
      [streamName],
    );
    if (receipt.rows.length !== 1) throw new Error(`stream ${streamName} has no receipt to copy`);
    const previousEventHash = String(JSON.parse(last.rows[0].metadata).eventHash);
    const data: JsonObject = {
      ...(JSON.parse(receipt.rows[0].data) as JsonObject),
      receiptId: options.receiptId,
      occurredAt: options.occurredAt,
      availableAt: options.availableAt,
    };
    const metadata: JsonObject = {
      ...(JSON.parse(receipt.rows[0].metadata) as JsonObject),
      commandId: `RecordRevenue:${options.receiptId}`,
      previousEventHash,
      eventHash: '',
    };
    const eventId = crypto.randomUUID();
    const streamVersion = lastVersion + 1n;
    // Hashed under the scheme the copied metadata names, so that the chain holds.
    metadata.eventHash = expectedEventHashOf({ streamName, streamVersion, eventId, type: 'RevenueRecorded', data, metadata }, previousEventHash);
    await client.query(
      `INSERT INTO events (stream_name, stream_version, event_id, type, data, metadata) VALUES ($1, $2, $3, 'RevenueRecorded', $4::json, $5::json)`,
      [streamName, streamVersion.toString(), eventId, JSON.stringify(data), JSON.stringify(metadata)],
    );
    await client.query(`UPDATE streams SET stream_version = $2 WHERE stream_name = $1`, [streamName, streamVersion.toString()]);
    await client.query('COMMIT');
    return { eventId, streamName, streamVersion, receiptId: options.receiptId };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Repairs a poisoned receipt with SQL, as a fix would: a receipt that occurred inside the
 * bounds. (Its hash no longer matches its body; `verify` would say so.)
 */
export async function repairPoisonedReceipt(pool: Pool, eventId: string): Promise<void> {
  const result = await pool.query(
    `UPDATE events SET data = (jsonb_set(jsonb_set(data::jsonb, '{occurredAt}', '"2026-06-01T12:00:00.000Z"'), '{availableAt}', '"2026-06-15T12:00:00.000Z"'))::json
      WHERE event_id = $1`,
    [eventId],
  );
  if (result.rowCount !== 1) throw new Error(`no event ${eventId}`);
}

import type { Pool } from 'pg';
import type { Writable } from 'node:stream';
import { parseInstant } from '@rsi/domain';
import { csvRow } from './csv';

export type ExportFormat = 'csv' | 'jsonl';
/**
 * Rows fetched per round trip from the server-side cursor: bounds the memory of an export.
 * Measured (docs/benchmarks.md): 5,000 rows let V8 grow its young generation under the
 * sustained allocation (peak RSS 153 → 199 MiB from 100k to 1M ledger entries); 1,000 rows
 * keep it at 148 → 167 MiB, at the same rate.
 */
const CURSOR_FETCH_ROWS = 1_000;

type ExportRow = Record<string, unknown>;

/** A row of an export's SQL: every column is selected as text (exact), or is null. */
export type ExportTextRow = Record<string, string | null>;

/**
 * One export: its SQL (with `$1` = from, `$2` = to as timestamptz or null, `$3` = as-of),
 * its columns, and how a database row becomes the exported object.
 */
export type ExportDefinition = {
  /** The projection whose tables the SQL reads; `ledger` when not named. */
  projection?: string;
  sql: string;
  columns: string[];
  toObject(row: ExportTextRow): ExportRow;
};


function writeChunk(output: Writable, chunk: string): Promise<void> {
  if (output.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onDrain = () => { output.off('error', onError); resolve(); };
    const onError = (error: unknown) => { output.off('drain', onDrain); reject(error); };
    output.once('drain', onDrain);
    output.once('error', onError);
  });
}

/**
 * Streams a projection through a server-side cursor, `CURSOR_FETCH_ROWS` rows at a time,
 * waiting for the output to drain, so that memory stays flat whatever the row count.
 * `from`/`to` bound the business time (`occurredAt`) as [from, to); `asOf` is the time at
 * which pending and available are told apart (balances).
 */
export async function exportProjection(options: {
  pool: Pool;
  definition: ExportDefinition;
  format: ExportFormat;
  output: Writable;
  from?: string;
  to?: string;
  asOf: string;
  /** Only the rows of this developer (an export with a `developerId` column; refused otherwise). */
  developerId?: string;
}): Promise<{ rowsWritten: number }> {
  const definition = options.definition;
  const from = options.from === undefined ? null : parseInstant(options.from, 'from').iso;
  const to = options.to === undefined ? null : parseInstant(options.to, 'to').iso;
  const asOf = parseInstant(options.asOf, 'asOf').iso;
  const client = await options.pool.connect();
  let rowsWritten = 0;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    if (options.developerId !== undefined && !definition.columns.includes('developerId')) throw new Error('an export without a developerId column cannot be confined to one developer');
    if (options.developerId === undefined) {
      await client.query(`DECLARE export_cursor NO SCROLL CURSOR FOR SELECT q.*, $3::timestamptz::text AS as_of FROM (${definition.sql}) q`, [from, to, asOf]);
    } else {
      await client.query(`DECLARE export_cursor NO SCROLL CURSOR FOR SELECT q.*, $3::timestamptz::text AS as_of FROM (${definition.sql}) q WHERE q.developer_id = $4::text`, [from, to, asOf, options.developerId]);
    }
    if (options.format === 'csv') await writeChunk(options.output, csvRow(definition.columns));
    for (;;) {
      const result = await client.query<ExportTextRow>(`FETCH ${CURSOR_FETCH_ROWS} FROM export_cursor`);
      if (result.rows.length === 0) break;
      let chunk = '';
      for (const row of result.rows) {
        const object = definition.toObject(row);
        if (options.format === 'jsonl') {
          chunk += `${JSON.stringify(object)}\n`;
        } else {
          chunk += csvRow(definition.columns.map((column) => {
            const value = object[column];
            return value === null || value === undefined ? null : typeof value === 'object' ? JSON.stringify(value) : String(value);
          }));
        }
      }
      rowsWritten += result.rows.length;
      await writeChunk(options.output, chunk);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return { rowsWritten };
}

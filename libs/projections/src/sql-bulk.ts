import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { ProjectionContext } from './projection.handler';
import type { PoolClient } from 'pg';
import type { ColumnEntry, ReadModelTable, RowOfColumns, TableRows, WrittenColumn } from './read-model-table';

/**
 * Bulk writes of a table's rows (`TableRows`, named fields of one `ReadModelTable`).
 * Through `unnest` of typed arrays: one statement and one round trip per table per batch,
 * whatever the number of rows. Values are sent as text or numbers (numeric and timestamptz
 * are cast by PostgreSQL) so that no amount ever passes through a JS number.
 */

/** PostgreSQL's limit is 65,535 parameters, but arrays are one parameter each: bound the rows instead. */
export const BULK_ROWS_MAXIMUM = 50_000;

export function quoteIdentifier(identifier: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(identifier)) throw new Error(`unsafe SQL identifier: ${identifier}`);
  return `"${identifier}"`;
}

function columnListOf(columns: readonly WrittenColumn[]): string {
  return columns.map((column) => quoteIdentifier(column.name)).join(', ');
}

/** The rows, inserted by `INSERT … SELECT … FROM unnest(…)`, followed by `conflictClause` (an upsert). */
export async function bulkInsert<Entries extends readonly ColumnEntry[]>(
  context: ProjectionContext,
  batch: TableRows<Entries>,
  conflictClause = '',
): Promise<void> {
  const columns = batch.table.writtenColumns;
  const rows = batch.rows as readonly Record<string, unknown>[];
  const columnList = columnListOf(columns);
  const unnestList = columns.map((column, index) => `$${index + 1}::${column.sentType}[]`).join(', ');
  const selectList = columns.map((column, index) => `u.c${index}${column.cast === undefined ? '' : `::${column.cast}`}`).join(', ');
  const aliasList = columns.map((_, index) => `c${index}`).join(', ');
  for (let start = 0; start < rows.length; start += BULK_ROWS_MAXIMUM) {
    const chunk = rows.slice(start, start + BULK_ROWS_MAXIMUM);
    const arrays = columns.map((column) => chunk.map((row) => column.parameterOf(row[column.name])));
    await context.client.query(
      `INSERT INTO ${quoteIdentifier(context.schema)}.${quoteIdentifier(batch.table.name)} (${columnList})
       SELECT ${selectList} FROM unnest(${unnestList}) AS u(${aliasList}) ${conflictClause}`,
      arrays,
    );
  }
}

/** Characters handed to the COPY stream per write: bounds the memory of one table's rows. */
const COPY_CHUNK_CHARACTERS = 1 << 20;

function* copyTextChunks<Entries extends readonly ColumnEntry[]>(batch: TableRows<Entries>): Generator<string> {
  const lineOf = batch.table.copyLineOf;
  let chunk = '';
  for (const row of batch.rows) {
    chunk += lineOf(row);
    if (chunk.length >= COPY_CHUNK_CHARACTERS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * Rows that are only inserted (no conflict clause): streamed by `COPY … FROM STDIN` where
 * the server takes it — one statement, no array parameters to build and unpack — else written
 * by `bulkInsert` (the embedded PGlite).
 * Same columns, same text-to-type conversions, same constraints: a duplicate key fails
 * the COPY, and so the projector's transaction, exactly as it fails the INSERT.
 */
export async function bulkAppend<Entries extends readonly ColumnEntry[]>(context: ProjectionContext, batch: TableRows<Entries>): Promise<void> {
  if (batch.length === 0) return;
  if (!context.copyFromStdin) {
    await bulkInsert(context, batch);
    return;
  }
  const columns = batch.table.writtenColumns;
  const target = `${quoteIdentifier(context.schema)}.${quoteIdentifier(batch.table.name)}`;
  const sink = context.client.query(copyFrom(`COPY ${target} (${columnListOf(columns)}) FROM STDIN`));
  await pipeline(Readable.from(copyTextChunks(batch)), sink);
}

/**
 * One row by `INSERT … VALUES ($1, …)` (a checkpoint, a failure: off the bulk path),
 * followed by `conflictClause`. Returns the number of rows inserted.
 */
export async function insertRow<Entries extends readonly ColumnEntry[]>(
  queryable: Pick<PoolClient, 'query'>,
  schema: string,
  table: ReadModelTable<Entries>,
  row: RowOfColumns<Entries>,
  conflictClause = '',
): Promise<number> {
  const columns = table.writtenColumns;
  const values = columns.map((column) => column.parameterOf((row as Record<string, unknown>)[column.name]));
  const placeholders = columns.map((_, index) => `$${index + 1}`).join(', ');
  const result = await queryable.query(
    `INSERT INTO ${quoteIdentifier(schema)}.${quoteIdentifier(table.name)} (${columnListOf(columns)}) VALUES (${placeholders}) ${conflictClause}`,
    values,
  );
  return result.rowCount ?? 0;
}

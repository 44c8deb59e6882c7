import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { ProjectionContext } from './projection.handler';
import { copyTextValue } from '../../database/src/copy-text';

/**
 * Bulk writes through `unnest` of typed arrays: one statement and one round trip per
 * table per batch, whatever the number of rows. Values are strings (numeric and
 * timestamptz are cast by PostgreSQL) so that no amount ever passes through a JS number.
 */
export type BulkColumn = {
  name: string;
  /** The type of the values as sent (the array parameter's element type). */
  type: string;
  /**
   * The column's type when it differs from `type`: an array column is sent as its text
   * literal (`{…}`), because `unnest` would flatten an array of arrays.
   */
  cast?: string;
};

/** PostgreSQL's limit is 65,535 parameters, but arrays are one parameter each: bound the rows instead. */
export const BULK_ROWS_MAXIMUM = 50_000;

export function quoteIdentifier(identifier: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(identifier)) throw new Error(`unsafe SQL identifier: ${identifier}`);
  return `"${identifier}"`;
}

export async function bulkInsert(
  client: PoolClient,
  schema: string,
  table: string,
  columns: BulkColumn[],
  rows: (string | number | null)[][],
  conflictClause = '',
): Promise<void> {
  for (let start = 0; start < rows.length; start += BULK_ROWS_MAXIMUM) {
    const chunk = rows.slice(start, start + BULK_ROWS_MAXIMUM);
    const arrays = columns.map((_, columnIndex) => chunk.map((row) => row[columnIndex]));
    const columnList = columns.map((column) => quoteIdentifier(column.name)).join(', ');
    const unnestList = columns.map((column, index) => `$${index + 1}::${column.type}[]`).join(', ');
    const selectList = columns.map((column, index) => `u.c${index}${column.cast === undefined ? '' : `::${column.cast}`}`).join(', ');
    const aliasList = columns.map((_, index) => `c${index}`).join(', ');
    await client.query(
      `INSERT INTO ${quoteIdentifier(schema)}.${quoteIdentifier(table)} (${columnList})
       SELECT ${selectList} FROM unnest(${unnestList}) AS u(${aliasList}) ${conflictClause}`,
      arrays,
    );
  }
}

/** Characters handed to the COPY stream per write: bounds the memory of one table's rows. */
const COPY_CHUNK_CHARACTERS = 1 << 20;

function* copyTextChunks(rows: (string | number | null)[][]): Generator<string> {
  let chunk = '';
  for (const row of rows) {
    let line = '';
    for (let index = 0; index < row.length; index += 1) line += (index === 0 ? '' : '\t') + copyTextValue(row[index]!);
    chunk += `${line}\n`;
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
export async function bulkAppend(context: ProjectionContext, table: string, columns: BulkColumn[], rows: (string | number | null)[][]): Promise<void> {
  if (rows.length === 0) return;
  if (!context.copyFromStdin) {
    await bulkInsert(context.client, context.schema, table, columns, rows);
    return;
  }
  const columnList = columns.map((column) => quoteIdentifier(column.name)).join(', ');
  const sink = context.client.query(copyFrom(`COPY ${quoteIdentifier(context.schema)}.${quoteIdentifier(table)} (${columnList}) FROM STDIN`));
  await pipeline(Readable.from(copyTextChunks(rows)), sink);
}

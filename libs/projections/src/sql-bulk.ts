import type { PoolClient } from 'pg';

/**
 * Bulk writes through `unnest` of typed arrays: one statement and one round trip per
 * table per batch, whatever the number of rows. Values are strings (numeric and
 * timestamptz are cast by PostgreSQL) so that no amount ever passes through a JS number.
 */
export type BulkColumn = { name: string; type: string };

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
    await client.query(
      `INSERT INTO ${quoteIdentifier(schema)}.${quoteIdentifier(table)} (${columnList}) SELECT * FROM unnest(${unnestList}) ${conflictClause}`,
      arrays,
    );
  }
}

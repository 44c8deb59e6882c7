import { assertInvariant } from '@rsi/domain';
import { copyTextValue } from '@rsi/database';

/**
 * One read-model table, defined once: its name and its columns in the table's order, each
 * with the PostgreSQL type of the column and so the JS type of the value a row gives it.
 * The row type, the column list of every INSERT and COPY, and the values in that list's
 * order are all derived from this one definition: a row names its fields, so two columns
 * cannot be swapped, and no positional array has to match a column list written elsewhere.
 * A test compares each definition with the table the migrations build (information_schema).
 */

/** The JS value written to each column type. Amounts and positions are bigint, never a JS number. */
type ColumnValues = {
  text: string;
  /** `char(n)`: sent as text, padded by PostgreSQL. */
  char: string;
  uuid: string;
  /** An ISO-8601 instant. */
  timestamptz: string;
  /** A `YYYY-MM-DD` day. */
  date: string;
  /** JSON text, already serialised by the projection (the serialisation is part of the read model). */
  jsonb: string;
  int4: number;
  int8: bigint;
  /** An integer `numeric` (minor units, positions). */
  numeric: bigint;
  /** A fractional `numeric`, as the decimal string its codec wrote (quantities, exact amounts). */
  decimal: string;
  'text[]': readonly string[];
  'numeric[]': readonly bigint[];
};

export type ColumnType = keyof ColumnValues;
/** A type, and `?` when the column takes null. */
export type ColumnSpec = ColumnType | `${ColumnType}?`;
/**
 * A column: name and spec, and `'default'` when the database fills it on insert (a
 * sequence, a default): such a column is not part of a row and not in the column list.
 */
export type ColumnEntry = readonly [name: string, spec: ColumnSpec] | readonly [name: string, spec: ColumnSpec, filledBy: 'default'];

type ValueOf<Spec extends ColumnSpec> = Spec extends `${infer Type extends ColumnType}?` ? ColumnValues[Type] | null
  : Spec extends ColumnType ? ColumnValues[Spec] : never;

type WrittenEntry<Entries extends readonly ColumnEntry[]> = Extract<Entries[number], readonly [string, ColumnSpec]>;

/** A row of a table with these columns: one named field per column the projection writes. */
export type RowOfColumns<Entries extends readonly ColumnEntry[]> = { readonly [Entry in WrittenEntry<Entries> as Entry[0]]: ValueOf<Entry[1]> };

/** A row of the table: one named field per column the projection writes. */
export type RowOf<Table> = Table extends ReadModelTable<infer Entries> ? RowOfColumns<Entries> : never;

/** The names of the written columns, in the definition's order, as a tuple type. */
type WrittenNames<Entries extends readonly ColumnEntry[]> = Entries extends readonly [infer First, ...infer Rest extends readonly ColumnEntry[]]
  ? First extends readonly [infer Name, ColumnSpec] ? readonly [Name, ...WrittenNames<Rest>] : WrittenNames<Rest>
  : Entries extends readonly [] ? readonly [] : readonly string[];

/** How a column is sent: its element type for `unnest`, its cast, and its value as text (COPY) or parameter. */
export type WrittenColumn = {
  readonly name: string;
  /** The type of the values as sent (the array parameter's element type of `unnest`). */
  readonly sentType: string;
  /** The column's type when it differs from `sentType`: an array column is sent as its text literal, because `unnest` would flatten an array of arrays. */
  readonly cast: string | undefined;
  /** The value as one `unnest` array element: bigint and arrays become text, the rest passes as is. */
  readonly parameterOf: (value: unknown) => string | number | null;
  /** The value in COPY text format (escaped, `\N` for null). */
  readonly copyTextOf: (value: unknown) => string;
};

/** A column as PostgreSQL describes it (information_schema.columns), for the definition's test. */
export type ColumnDescription = { name: string; udtName: string; nullable: boolean };

const UDT_NAMES: Record<ColumnType, string> = {
  text: 'text', char: 'bpchar', uuid: 'uuid', timestamptz: 'timestamptz', date: 'date', jsonb: 'jsonb', int4: 'int4', int8: 'int8',
  numeric: 'numeric', decimal: 'numeric', 'text[]': '_text', 'numeric[]': '_numeric',
};

/** A PostgreSQL array literal of text: every element quoted, `"` and `\` escaped. */
export function textArrayLiteral(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

/** A PostgreSQL array literal of integers (minor units): decimal digits and a sign, nothing to quote. */
export function numericArrayLiteral(values: readonly bigint[]): string {
  return `{${values.join(',')}}`;
}

function parameterEncoder(type: ColumnType): (value: unknown) => string | number | null {
  switch (type) {
    case 'int8': case 'numeric': return (value) => (value === null ? null : (value as bigint).toString());
    case 'text[]': return (value) => (value === null ? null : textArrayLiteral(value as readonly string[]));
    case 'numeric[]': return (value) => (value === null ? null : numericArrayLiteral(value as readonly bigint[]));
    default: return (value) => value as string | number | null;
  }
}

function copyTextEncoder(type: ColumnType): (value: unknown) => string {
  switch (type) {
    // Digits and a sign only: nothing to escape.
    case 'int8': case 'numeric': return (value) => (value === null ? '\\N' : (value as bigint).toString());
    case 'int4': return (value) => (value === null ? '\\N' : String(value as number));
    case 'text[]': return (value) => copyTextValue(value === null ? null : textArrayLiteral(value as readonly string[]));
    case 'numeric[]': return (value) => (value === null ? '\\N' : numericArrayLiteral(value as readonly bigint[]));
    default: return (value) => copyTextValue(value as string | null);
  }
}

export class ReadModelTable<const Entries extends readonly ColumnEntry[]> {
  /** The written columns, in the definition's order: the column list and the order of every row's values. */
  readonly writtenColumns: readonly WrittenColumn[];
  readonly columnNames: WrittenNames<Entries>;
  /** One row as a line of COPY text (values tab-separated, newline-terminated), in the definition's order. */
  readonly copyLineOf: (row: RowOfColumns<Entries>) => string;

  constructor(readonly name: string, readonly entries: Entries) {
    assertInvariant(/^[a-z_][a-z0-9_]*$/.test(name), `table name ${name} is a plain SQL identifier`);
    const seen = new Set<string>();
    const written: WrittenColumn[] = [];
    for (const [columnName, spec, filledBy] of entries) {
      assertInvariant(/^[a-z_][a-z0-9_]*$/.test(columnName), `column ${name}.${columnName} is a plain SQL identifier`);
      assertInvariant(!seen.has(columnName), `column ${name}.${columnName} is defined once`);
      seen.add(columnName);
      if (filledBy === 'default') continue;
      const type = typeOfSpec(spec);
      const isArray = type === 'text[]' || type === 'numeric[]';
      written.push({
        name: columnName,
        sentType: isArray ? 'text' : type === 'decimal' ? 'numeric' : type === 'char' ? 'text' : type,
        cast: isArray ? type : undefined,
        parameterOf: parameterEncoder(type),
        copyTextOf: copyTextEncoder(type),
      });
    }
    assertInvariant(written.length > 0, `table ${name} has a written column`);
    this.writtenColumns = written;
    this.columnNames = written.map((column) => column.name) as unknown as WrittenNames<Entries>;
    this.copyLineOf = compileCopyLine(written);
  }

  /** Every column as PostgreSQL should describe it after the migrations, in the table's order. */
  describeColumns(): ColumnDescription[] {
    return this.entries.map(([name, spec]) => ({ name, udtName: UDT_NAMES[typeOfSpec(spec)], nullable: spec.endsWith('?') }));
  }

  /** An empty batch of this table's rows, collected by one projection batch. */
  rows(): TableRows<Entries> {
    return new TableRows(this);
  }
}

/**
 * The COPY line of a row, compiled once per table into `encoders[0](row.a) + '\t' + …`:
 * each field is read by its name, as a plain property access. Read in a loop by a name
 * held in a variable instead, the same fields cost about half as much again in the hot
 * path (the projection copies some 100,000 rows per second), because the property access
 * of every column of every table goes through one generic lookup. The source names only
 * columns that passed the identifier check above, never a value.
 */
function compileCopyLine(columns: readonly WrittenColumn[]): (row: object) => string {
  for (const column of columns) assertInvariant(/^[a-z_][a-z0-9_]*$/.test(column.name), `column ${column.name} is a plain SQL identifier`);
  const body = columns.map((column, index) => `encoders[${index}](row.${column.name})`).join(" + '\\t' + ");
  const compile = new Function('encoders', `'use strict'; return (row) => ${body} + '\\n';`) as (encoders: readonly ((value: unknown) => string)[]) => (row: object) => string;
  return compile(columns.map((column) => column.copyTextOf));
}

function typeOfSpec(spec: ColumnSpec): ColumnType {
  return (spec.endsWith('?') ? spec.slice(0, -1) : spec) as ColumnType;
}

/**
 * The rows of one table that one batch writes. `add` takes the row as an object with named
 * fields (the only allocation per row, as the positional array it replaces); the values
 * are read in the definition's order when the rows are written.
 */
export class TableRows<const Entries extends readonly ColumnEntry[]> {
  readonly rows: RowOfColumns<Entries>[] = [];

  constructor(readonly table: ReadModelTable<Entries>) {}

  add(row: RowOfColumns<Entries>): void {
    this.rows.push(row);
  }

  get length(): number {
    return this.rows.length;
  }
}

/** Defines a read-model table: `defineTable('splits', [['receipt_id', 'text'], ['amount_minor', 'numeric'], …])`. */
export function defineTable<const Entries extends readonly ColumnEntry[]>(name: string, entries: Entries): ReadModelTable<Entries> {
  return new ReadModelTable(name, entries);
}

import { createTestDatabase, type TestDatabase } from './support/test-database';
import {
  LEDGER_POSTINGS_TABLE, LEDGER_TABLES, LedgerProjection, PAYOUTS_TABLE, SPLITS_TABLE, UNIT_ECONOMICS_TABLES, UnitEconomicsProjection,
} from '@rsi/ledger';
import {
  bulkAppend, bulkInsert, defineTable, PROJECTION_CHECKPOINTS_TABLE, PROJECTION_FAILURES_TABLE,
  type ColumnDescription, type ColumnEntry, type ReadModelTable, type RowOf,
} from '@rsi/projections';

/** Every table a projection writes, and the projector's own. */
const ALL_TABLES: readonly ReadModelTable<readonly ColumnEntry[]>[] = [
  ...LEDGER_TABLES, ...UNIT_ECONOMICS_TABLES, PROJECTION_CHECKPOINTS_TABLE, PROJECTION_FAILURES_TABLE,
];

// ---- Compile-time checks: `npm run typecheck` fails if any of these stops holding. ----

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function assertType<Condition extends true>(): Condition | void { return undefined; }

// The column list is the definition's columns, in the definition's order, as a type.
assertType<Equal<typeof LEDGER_POSTINGS_TABLE.columnNames, readonly [
  'commit_position', 'prepare_position', 'event_id', 'event_type', 'currency', 'accounts', 'amounts_minor', 'occurred_at', 'recorded_at', 'category',
]>>();
// A column the database fills is neither in the column list nor in a row.
assertType<Equal<typeof PROJECTION_CHECKPOINTS_TABLE.columnNames, readonly ['projection_name', 'commit_position', 'prepare_position']>>();
assertType<Equal<keyof RowOf<typeof PROJECTION_CHECKPOINTS_TABLE>, 'projection_name' | 'commit_position' | 'prepare_position'>>();
// Amounts are bigint, nullable columns take null, array columns take arrays.
assertType<Equal<RowOf<typeof SPLITS_TABLE>['amount_minor'], bigint>>();
assertType<Equal<RowOf<typeof PAYOUTS_TABLE>['settled_at'], string | null>>();
assertType<Equal<RowOf<typeof LEDGER_POSTINGS_TABLE>['amounts_minor'], readonly bigint[]>>();

const PROBE_TABLE = defineTable('probe', [['probe_id', 'text'], ['amount_minor', 'numeric'], ['note', 'text?'], ['probe_serial', 'int8', 'default']]);
function typeErrorsOfRows(): void {
  const rows = PROBE_TABLE.rows();
  rows.add({ probe_id: 'a', amount_minor: 1n, note: null });
  // @ts-expect-error a row missing a column does not compile
  rows.add({ probe_id: 'a', amount_minor: 1n });
  // @ts-expect-error an amount as a JS number does not compile
  rows.add({ probe_id: 'a', amount_minor: 1, note: null });
  // @ts-expect-error a value of the wrong type does not compile
  rows.add({ probe_id: 1, amount_minor: 1n, note: null });
  // @ts-expect-error null in a column that is not nullable does not compile
  rows.add({ probe_id: null, amount_minor: 1n, note: null });
  // @ts-expect-error a column the table does not have does not compile
  rows.add({ probe_id: 'a', amount_minor: 1n, note: null, amount: 1n });
  // @ts-expect-error a column the database fills is not given by a row
  rows.add({ probe_id: 'a', amount_minor: 1n, note: null, probe_serial: 1n });
}
void typeErrorsOfRows;

// ---- Run-time checks against the migrated database. ----

async function describeLiveColumns(database: TestDatabase, schema: string, table: string): Promise<ColumnDescription[]> {
  const result = await database.connection.pool.query<{ column_name: string; udt_name: string; is_nullable: string }>(
    `SELECT column_name, udt_name, is_nullable FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [schema, table],
  );
  return result.rows.map((row) => ({ name: row.column_name, udtName: row.udt_name, nullable: row.is_nullable === 'YES' }));
}

describe('read-model table definitions', () => {
  let database: TestDatabase;
  beforeAll(async () => { database = await createTestDatabase(); });
  afterAll(async () => { await database?.drop(); });

  it.each(ALL_TABLES.map((table) => [table.name, table] as const))(
    'the definition of %s equals the migrated table: names, types and nullability, in order',
    async (name, table) => {
      const live = await describeLiveColumns(database, 'public', name);
      expect(live.length).toBeGreaterThan(0);
      expect(table.describeColumns()).toEqual(live);
    },
  );

  it('a definition with two columns swapped does not equal the migrated table', async () => {
    const swapped = defineTable('directory_payouts', [['developer_id', 'text'], ['payout_id', 'text']]);
    expect(swapped.describeColumns()).not.toEqual(await describeLiveColumns(database, 'public', 'directory_payouts'));
  });

  it('the projections name exactly the defined tables, in creation order', () => {
    expect(new LedgerProjection().tables).toEqual(LEDGER_TABLES.map((table) => table.name));
    expect(new UnitEconomicsProjection().tables).toEqual(UNIT_ECONOMICS_TABLES.map((table) => table.name));
    for (const table of ALL_TABLES) expect(new Set<unknown>(table.columnNames).size).toBe(table.columnNames.length);
  });

  const ESCAPED_TEXT = 'tab\there, newline\nhere, backslash \\ and "quotes", return\r';

  async function roundTrip(copyFromStdin: boolean): Promise<Record<string, unknown>> {
    const client = await database.connection.pool.connect();
    try {
      await client.query('BEGIN');
      const postings = LEDGER_POSTINGS_TABLE.rows();
      postings.add({
        commit_position: 18_446_744_073_709_551_615n, prepare_position: 7n, event_id: '00000000-0000-4000-8000-000000000001',
        event_type: ESCAPED_TEXT, currency: 'USD', accounts: [ESCAPED_TEXT, 'developer:d-1'], amounts_minor: [-99_999_999_999_999_999_999n, 99_999_999_999_999_999_999n],
        occurred_at: '2026-01-02T03:04:05.678Z', recorded_at: '2026-01-02T03:04:06Z', category: null,
      });
      const payouts = PAYOUTS_TABLE.rows();
      payouts.add({
        payout_id: 'p-1', developer_id: 'd-1', currency: 'USD', amount_minor: 12_345n, status: 'requested', requested_at: '2026-01-02T00:00:00Z',
        settled_at: null, failed_at: null, reference: null, failure_reason: null,
        payout_currency: null, payout_amount_minor: null, fx_rate: null, fx_source: null, fx_rule_version: null,
      });
      await bulkAppend({ client, schema: 'public', copyFromStdin }, postings);
      await bulkInsert({ client, schema: 'public' }, payouts);
      const read = await client.query(
        `SELECT p.commit_position::text AS commit_position, p.prepare_position::text AS prepare_position, p.event_type, p.accounts,
                p.amounts_minor::text[] AS amounts_minor, to_char(p.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS occurred_at,
                q.amount_minor::text AS payout_minor, q.settled_at, q.reference
           FROM ledger_postings p CROSS JOIN payouts q`,
      );
      expect(read.rows).toHaveLength(1);
      return read.rows[0] as Record<string, unknown>;
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  }

  const expectedRow = {
    commit_position: '18446744073709551615', prepare_position: '7', event_type: ESCAPED_TEXT, accounts: [ESCAPED_TEXT, 'developer:d-1'],
    amounts_minor: ['-99999999999999999999', '99999999999999999999'], occurred_at: '2026-01-02T03:04:05.678',
    payout_minor: '12345', settled_at: null, reference: null,
  };

  it('writes every value exactly through INSERT … unnest', async () => {
    expect(await roundTrip(false)).toEqual(expectedRow);
  });

  // The embedded PGlite takes no COPY FROM STDIN: this runs on a server (DATABASE_URL).
  const onServer = process.env.DATABASE_URL?.trim() ? it : it.skip;
  onServer('writes every value exactly through COPY', async () => {
    expect(await roundTrip(true)).toEqual(expectedRow);
  });
});

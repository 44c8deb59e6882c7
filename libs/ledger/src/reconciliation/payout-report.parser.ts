import { parse } from 'csv-parse/sync';
import { PAYOUT_REPORT_BYTES_MAXIMUM, PAYOUT_REPORT_ROWS_MAXIMUM, parseIdentifier, parseMoney } from '@rsi/domain';

/** A payout status of the ledger: requested (in flight), settled (paid), failed. */
export type LedgerPayoutStatus = 'requested' | 'settled' | 'failed';

/** One row of a provider's payout report, checked. */
export type ProviderPayout = {
  readonly reference: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  /** The provider's status mapped to the ledger's (see PROVIDER_STATUS_OF). */
  readonly status: LedgerPayoutStatus;
  /** The status as the report spells it (lower case). */
  readonly providerStatus: string;
  readonly date: string;
  /** Line of the report where the row ends (the header is line 1). */
  readonly line: number;
};

/** A report refused: a clear message that names the line (1 is the header; 0 the whole file). */
export class PayoutReportRefused extends Error {
  constructor(readonly line: number, readonly detail: string) {
    super(line > 0 ? `payout report line ${line}: ${detail}` : `payout report: ${detail}`);
    this.name = 'PayoutReportRefused';
  }
}

/**
 * The provider's statuses the reconciliation understands, mapped to the ledger's (docs/cli.md
 * "reconcile payouts"): Stripe's `paid`, `pending`, `in_transit`, `canceled`, `failed`, and
 * the ledger's own words.
 */
export const PROVIDER_STATUS_OF: Readonly<Record<string, LedgerPayoutStatus>> = {
  paid: 'settled', settled: 'settled',
  pending: 'requested', in_transit: 'requested', requested: 'requested',
  failed: 'failed', canceled: 'failed', cancelled: 'failed',
};

/** Accepted header names of each column (compared trimmed, without case); the first is the documented one. */
export const PAYOUT_REPORT_COLUMNS = {
  reference: ['reference', 'payout_id', 'id'],
  amount: ['amount', 'gross'],
  currency: ['currency'],
  status: ['status'],
  date: ['date', 'arrival_date', 'created'],
} as const;

type ColumnName = keyof typeof PAYOUT_REPORT_COLUMNS;

const DATE_PATTERN = /^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$/;

function columnIndexes(header: readonly string[]): Record<ColumnName, number> {
  const names = header.map((name) => name.trim().toLowerCase());
  const indexes = {} as Record<ColumnName, number>;
  for (const [column, accepted] of Object.entries(PAYOUT_REPORT_COLUMNS) as [ColumnName, readonly string[]][]) {
    const index = names.findIndex((name) => accepted.includes(name));
    if (index < 0) throw new PayoutReportRefused(1, `missing column ${column} (accepted headers: ${accepted.join(', ')})`);
    indexes[column] = index;
  }
  return indexes;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function rowOf(cells: readonly string[], indexes: Record<ColumnName, number>, line: number): ProviderPayout {
  const cell = (column: ColumnName) => cells[indexes[column]]!.trim();
  try {
    const reference = parseIdentifier(cell('reference'), 'reference');
    const currency = cell('currency').toUpperCase();
    // The currency's exponent decides the decimals: the domain's codec, never a JS number.
    const amountMinor = parseMoney(cell('amount'), currency, { field: 'amount' });
    const providerStatus = cell('status').toLowerCase();
    const status = PROVIDER_STATUS_OF[providerStatus];
    if (status === undefined) throw new Error(`status: ${JSON.stringify(cell('status').slice(0, 40))} is none of ${Object.keys(PROVIDER_STATUS_OF).join(', ')}`);
    const date = cell('date');
    if (!DATE_PATTERN.test(date)) throw new Error(`date: ${JSON.stringify(date.slice(0, 40))} is not YYYY-MM-DD or an ISO 8601 date-time`);
    return { reference, amountMinor, currency, status, providerStatus, date, line };
  } catch (error) {
    throw new PayoutReportRefused(line, messageOf(error));
  }
}

/**
 * Reads a provider's payout report (CSV, UTF-8, a header line first). Refuses, with the line,
 * invalid UTF-8, a file above PAYOUT_REPORT_BYTES_MAXIMUM or PAYOUT_REPORT_ROWS_MAXIMUM rows,
 * a missing column, a row of another length, a malformed amount, currency, status or date,
 * and a reference given twice. Pure: bytes in, rows out.
 */
export function parsePayoutReport(bytes: Uint8Array): ProviderPayout[] {
  if (bytes.length > PAYOUT_REPORT_BYTES_MAXIMUM) throw new PayoutReportRefused(0, `the report is larger than ${PAYOUT_REPORT_BYTES_MAXIMUM} bytes`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    // The line of the first byte that is not UTF-8: each line decoded apart (a newline byte is never inside a UTF-8 sequence).
    let line = 1;
    let start = 0;
    for (;;) {
      const end = bytes.indexOf(0x0a, start);
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start, end < 0 ? bytes.length : end));
      } catch {
        break;
      }
      if (end < 0) break;
      line += 1;
      start = end + 1;
    }
    throw new PayoutReportRefused(line, 'the report is not valid UTF-8');
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { info: true, skip_empty_lines: true, relax_column_count: false }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    const line = (error as { lines?: unknown }).lines;
    throw new PayoutReportRefused(typeof line === 'number' ? line : 0, messageOf(error).replace(/ on line [0-9]+$/, ''));
  }
  if (records.length === 0) throw new PayoutReportRefused(1, 'the report is empty: a header line is expected (reference,amount,currency,status,date)');
  const indexes = columnIndexes(records[0]!.record);
  if (records.length - 1 > PAYOUT_REPORT_ROWS_MAXIMUM) {
    throw new PayoutReportRefused(records[PAYOUT_REPORT_ROWS_MAXIMUM + 1]!.info.lines, `more than ${PAYOUT_REPORT_ROWS_MAXIMUM} rows`);
  }
  const seen = new Map<string, number>();
  return records.slice(1).map(({ record, info }) => {
    const row = rowOf(record, indexes, info.lines);
    const earlier = seen.get(row.reference);
    if (earlier !== undefined) throw new PayoutReportRefused(info.lines, `reference ${row.reference} is already on line ${earlier}`);
    seen.set(row.reference, info.lines);
    return row;
  });
}

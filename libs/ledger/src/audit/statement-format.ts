import { csvRow } from '../core/csv';
import type { DeveloperStatement } from './developer-statement';

export type StatementFormat = 'json' | 'csv' | 'html';
export const STATEMENT_FORMATS: readonly StatementFormat[] = ['json', 'csv', 'html'];

/** JSON carries everything the offline verifier needs: event bodies, proofs, the signed seal. */
export function statementAsJson(statement: DeveloperStatement): string {
  return `${JSON.stringify(statement, null, 2)}\n`;
}

const CSV_COLUMNS = [
  'kind', 'bookedAt', 'occurredAt', 'reference', 'appId', 'receiptId', 'currency', 'amount', 'grossAmount', 'availableAt',
  'contractVersion', 'contractHash', 'eventId', 'eventHash', 'leafIndex', 'sealPeriod', 'merkleRoot',
];

/**
 * One row per line, framed per currency by an `opening_balance` row before and
 * `closing_balance`, `closing_pending`, `closing_available` rows after, so that a
 * spreadsheet sums the `amount` of the opening row and the lines to the closing row.
 */
export function statementAsCsv(statement: DeveloperStatement): string {
  let text = csvRow(CSV_COLUMNS);
  const summaryRow = (kind: string, currency: string, amount: string) =>
    csvRow(CSV_COLUMNS.map((column) => (column === 'kind' ? kind : column === 'currency' ? currency : column === 'amount' ? amount
      : column === 'bookedAt' ? (kind === 'opening_balance' ? statement.periodStart : statement.periodEnd) : null)));
  for (const balance of statement.balances) text += summaryRow('opening_balance', balance.currency, balance.opening);
  for (const line of statement.lines) {
    text += csvRow([
      line.kind, line.bookedAt, line.occurredAt, line.reference, line.appId, line.receiptId, line.currency, line.amount, line.grossAmount,
      line.availableAt, line.contractVersion, line.contractHash, line.eventId, line.eventHash, line.leafIndex, line.sealPeriod, line.merkleRoot,
    ]);
  }
  for (const balance of statement.balances) {
    text += summaryRow('closing_balance', balance.currency, balance.closing);
    text += summaryRow('closing_pending', balance.currency, balance.pending);
    text += summaryRow('closing_available', balance.currency, balance.available);
  }
  return text;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  if (value === null || value === undefined) return '';
  return String(value).replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]!);
}

function htmlTable(headers: readonly string[], rows: readonly (readonly unknown[])[], numericColumns: ReadonlySet<number>): string {
  const head = headers.map((header) => `<th>${escapeHtml(header)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell, index) => `<td${numericColumns.has(index) ? ' class="amount"' : ''}>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** A plain, printable page: every value escaped, no script, no external resource. */
export function statementAsHtml(statement: DeveloperStatement): string {
  const title = `Statement ${statement.period} — ${statement.developerName} (${statement.developerId})`;
  const seal = statement.seal;
  const sealText = seal
    ? `Sealed by period ${seal.period}: Merkle root ${seal.merkleRoot} over ${seal.eventCount} events, signed ${seal.sealedAt}. Check the JSON statement offline with "rsi-ledger verify-statement".`
    : 'This period is not sealed yet: the lines carry no inclusion proof.';
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    '<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;font-size:13px}td.amount{text-align:right;font-variant-numeric:tabular-nums}code{font-size:12px}</style>',
    '</head><body>',
    `<h1>${escapeHtml(title)}</h1>`,
    `<p>Booked from ${escapeHtml(statement.periodStart)} to ${escapeHtml(statement.periodEnd)} (UTC, by booking time). Pending and available as of ${escapeHtml(statement.balancesAsOf)}.</p>`,
    '<h2>Balances</h2>',
    htmlTable(['currency', 'opening', 'credits', 'debits', 'closing', 'pending', 'available'],
      statement.balances.map((balance) => [balance.currency, balance.opening, balance.credits, balance.debits, balance.closing, balance.pending, balance.available]),
      new Set([1, 2, 3, 4, 5, 6])),
    '<h2>Lines</h2>',
    htmlTable(['booked at', 'occurred at', 'kind', 'reference', 'app', 'currency', 'amount', 'gross', 'contract', 'contract hash'],
      statement.lines.map((line) => [line.bookedAt, line.occurredAt, line.kind, line.reference, line.appId, line.currency, line.amount, line.grossAmount,
        line.contractVersion === null ? '' : `v${line.contractVersion}`, line.contractHash]),
      new Set([6, 7])),
    `<p>${escapeHtml(sealText)}</p>`,
    '</body></html>',
    '',
  ].join('\n');
}

export function formatStatement(statement: DeveloperStatement, format: StatementFormat): string {
  if (format === 'csv') return statementAsCsv(statement);
  if (format === 'html') return statementAsHtml(statement);
  return statementAsJson(statement);
}

import { csvRow } from '../core/csv';
import type { DeveloperStatement } from './developer-statement';
import { statementDocumentOf, type StatementDocumentLine } from './statement-document';

export type StatementFormat = 'json' | 'csv' | 'html';
export const STATEMENT_FORMATS: readonly StatementFormat[] = ['json', 'csv', 'html'];

/** JSON carries everything the offline verifier needs: event bodies, proofs, the signed seal. */
export function statementAsJson(statement: DeveloperStatement): string {
  return `${JSON.stringify(statement, null, 2)}\n`;
}

const CSV_COLUMNS = [
  'kind', 'bookedAt', 'occurredAt', 'reference', 'appId', 'receiptId', 'currency', 'amount', 'grossAmount', 'availableAt',
  'contractVersion', 'contractHash', 'eventId', 'eventHash', 'leafIndex', 'sealPeriod', 'merkleRoot', 'category',
  // A payout in another currency: what it pays and at which rate (empty on every other line).
  'payoutCurrency', 'payoutAmount', 'fxRate', 'fxSource',
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
      line.category,
      line.payoutCurrency ?? null, line.payoutAmount ?? null, line.fxRate ?? null, line.fxSource ?? null,
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

function htmlTable(headers: readonly string[], rows: readonly (readonly string[])[], numericColumns: ReadonlySet<number>): string {
  const head = headers.map((header, index) => `<th scope="col"${numericColumns.has(index) ? ' class="number"' : ''}>${escapeHtml(header)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell, index) => `<td${numericColumns.has(index) ? ' class="number"' : ''}>${cell}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** Grouped by thousands, the currency's decimals kept (escaped HTML). */
function amountHtml(decimal: string | null): string {
  if (decimal === null) return '';
  const match = /^(-?)([0-9]+)(\.[0-9]+)?$/.exec(decimal);
  if (!match) return escapeHtml(decimal);
  return `${match[1] === '-' ? '&minus;' : ''}${match[2]!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${match[3] ?? ''}`;
}

/** A static document cannot know its reader's zone: minutes in UTC, the exact instant on hover. */
function timeHtml(iso: string | null): string {
  if (iso === null) return '';
  const shown = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return `<time datetime="${escapeHtml(iso)}" title="${escapeHtml(iso)}">${shown ? `${shown[1]} ${shown[2]} UTC` : escapeHtml(iso)}</time>`;
}

function hashHtml(hash: string | null): string {
  if (hash === null) return '';
  return `<code title="${escapeHtml(hash)}">${escapeHtml(hash.length <= 16 ? hash : `${hash.slice(0, 8)}…${hash.slice(-6)}`)}</code>`;
}

function linesHtml(lines: readonly StatementDocumentLine[], withShares: boolean): string {
  if (lines.length === 0) return '<p class="muted">None this period.</p>';
  const headers = ['booked', 'kind', 'reference', 'app', 'gross', ...(withShares ? ['platform', 'carve-outs'] : []), 'your balance', 'contract', 'event hash'];
  const amountColumns = withShares ? [4, 5, 6, 7] : [4, 5];
  return htmlTable(headers, lines.map((line) => [
    `${timeHtml(line.bookedAt)}${line.late ? `<div class="late">occurred ${timeHtml(line.occurredAt)} (late)</div>` : ''}`,
    // A purchase is what a receipt is unless it says otherwise: only the other categories are named.
    `${escapeHtml(line.kindLabel)}${line.category !== null && line.category !== 'purchase' ? `<div class="muted">${escapeHtml(line.category)}</div>` : ''}`
      + `${line.conversion === null ? '' : `<div class="muted">paid as ${escapeHtml(line.conversion.payoutCurrency)} ${amountHtml(line.conversion.payoutAmount)} at ${escapeHtml(line.conversion.fxRate)} (${escapeHtml(line.conversion.fxSource)})</div>`}`,
    `<code>${escapeHtml(line.reference)}</code>`, escapeHtml(line.appId ?? ''), amountHtml(line.grossAmount),
    ...(withShares ? [amountHtml(line.platformShare), amountHtml(line.carveOuts)] : []), amountHtml(line.amount),
    line.contractVersion === null ? '' : `v${line.contractVersion} ${hashHtml(line.contractHash)}`, hashHtml(line.eventHash),
  ]), new Set(amountColumns));
}

const DOCUMENT_STYLE = [
  'body{font-family:system-ui,sans-serif;color:#1b1f24;margin:2em;max-width:1280px}',
  'table{border-collapse:collapse;margin:0.5em 0 1.5em;width:100%}th,td{border-bottom:1px solid #d0d7de;padding:4px 8px;font-size:13px;text-align:left;vertical-align:top}',
  'thead th{background:#f6f8fa}.number{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}code{font-size:12px}',
  '.muted{color:#57606a}.late{color:#8a5a00;font-size:12px}',
  '@media print{body{margin:0}th,td{font-size:9pt}}',
].join('');

/**
 * The developer's statement as a document (the same model as the portal's statement page,
 * `statementDocumentOf`): summary and per-app totals first, then receipts, refunds and payouts
 * apart. Every value escaped, no script, no external resource; printable.
 */
export function statementAsHtml(statement: DeveloperStatement): string {
  const document = statementDocumentOf(statement);
  const title = `Statement ${document.period} — ${document.developerName} (${document.developerId})`;
  const seal = document.seal;
  const sealText = seal
    ? `Sealed with period ${escapeHtml(seal.period)} on ${timeHtml(seal.sealedAt)}: Merkle root ${hashHtml(seal.merkleRoot)} over ${seal.eventCount} events. Check the JSON statement with "rsi-ledger verify-statement" or the portal's Verify button.`
    : 'This period is not sealed yet: the lines carry no inclusion proof.';
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${DOCUMENT_STYLE}</style>`,
    '</head><body>',
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="muted">Booked from ${timeHtml(document.periodStart)} to ${timeHtml(document.periodEnd)} (by booking time). Pending and available as of ${timeHtml(document.balancesAsOf)}.</p>`,
    `<p>${sealText}</p>`,
    '<h2>Summary</h2>',
    htmlTable(['currency', 'opening', 'receipts (gross)', 'platform share', 'carve-outs', 'your share', 'refunds', 'payouts', 'disputes', 'closing', 'pending', 'available'],
      document.currencies.map((summary) => [escapeHtml(summary.currency), amountHtml(summary.opening), `${amountHtml(summary.receiptsGross)} (${summary.receiptCount})`,
        amountHtml(summary.platformShare), amountHtml(summary.carveOuts), amountHtml(summary.receiptsNet), `${amountHtml(summary.refunds)} (${summary.refundCount})`,
        `${amountHtml(summary.payouts)} (${summary.payoutCount})`, `${amountHtml(summary.disputes)} (${summary.disputeCount})`, `<strong>${amountHtml(summary.closing)}</strong>`, amountHtml(summary.pending), amountHtml(summary.available)]),
      new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])),
    '<h2>Per app</h2>',
    document.apps.length === 0 ? '<p class="muted">No receipts this period.</p>' : htmlTable(
      ['app', 'currency', 'receipts', 'gross', 'platform share', 'carve-outs', 'net', 'refunds'],
      document.apps.map((app) => [escapeHtml(app.appId), escapeHtml(app.currency), String(app.receiptCount), amountHtml(app.gross), amountHtml(app.platformShare),
        amountHtml(app.carveOuts), amountHtml(app.net), `${amountHtml(app.refunds)} (${app.refundCount})`]),
      new Set([2, 3, 4, 5, 6, 7])),
    '<h2>Receipts</h2>', linesHtml(document.receipts, true),
    '<h2>Refunds</h2>', linesHtml(document.refunds, true),
    '<h2>Payouts</h2>', linesHtml(document.payouts, false),
    ...(document.disputes.length === 0 ? [] : ['<h2>Disputes</h2>', linesHtml(document.disputes, false)]),
    '</body></html>',
    '',
  ].join('\n');
}

export function formatStatement(statement: DeveloperStatement, format: StatementFormat): string {
  if (format === 'csv') return statementAsCsv(statement);
  if (format === 'html') return statementAsHtml(statement);
  return statementAsJson(statement);
}

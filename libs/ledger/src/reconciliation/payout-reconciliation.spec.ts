import { PAYOUT_REPORT_BYTES_MAXIMUM, PAYOUT_REPORT_ROWS_MAXIMUM } from '@rsi/domain';
import { PayoutReportRefused, parsePayoutReport } from './payout-report.parser';
import { reconcilePayouts, reconciliationAsCsv, type LedgerPayout } from './payout-reconciliation';

const HEADER = 'reference,amount,currency,status,date\n';

function payout(payoutId: string, amountMinor: bigint, status: LedgerPayout['status'], extra: Partial<LedgerPayout> = {}): LedgerPayout {
  return { payoutId, reference: null, developerId: 'dev-1', amountMinor, currency: 'EUR', status, requestedAt: '2026-11-01T00:00:00.000Z', settledAt: null, failedAt: null, ...extra };
}

function refusal(text: string | Uint8Array): PayoutReportRefused {
  try {
    parsePayoutReport(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
  } catch (error) {
    if (error instanceof PayoutReportRefused) return error;
    throw error;
  }
  throw new Error('the report was accepted');
}

describe('parsePayoutReport', () => {
  it('reads a Stripe-style report: amounts in minor units by the currency exponent, statuses mapped, headers in any order and case', () => {
    const rows = parsePayoutReport(Buffer.from('ID,Status,Currency,Amount,Arrival_Date\npo_1,paid,eur,12.34,2026-11-03\npo_2,in_transit,JPY,1200,2026-11-04 10:00:00\npo_3,canceled,kwd,1.005,2026-11-05T00:00:00Z\n'));
    expect(rows.map((row) => [row.reference, row.amountMinor, row.currency, row.status, row.providerStatus, row.line])).toEqual([
      ['po_1', 1234n, 'EUR', 'settled', 'paid', 2],
      ['po_2', 1200n, 'JPY', 'requested', 'in_transit', 3],
      ['po_3', 1005n, 'KWD', 'failed', 'canceled', 4],
    ]);
  });

  it.each([
    ['a missing column', 'reference,amount,currency,date\nx,1.00,EUR,2026-11-01\n', 1, /missing column status/],
    ['a row of another length', `${HEADER}po_1,1.00,EUR,paid,2026-11-01\npo_2,1.00,EUR\n`, 3, /expect 5, got 3/],
    ['a JS-number-like amount', `${HEADER}po_1,1e3,EUR,paid,2026-11-01\n`, 2, /amount/],
    ['more decimals than the currency has', `${HEADER}po_1,1.001,EUR,paid,2026-11-01\n`, 2, /amount/],
    ['a negative amount', `${HEADER}po_1,1.00,EUR,paid,2026-11-01\npo_2,-1.00,EUR,paid,2026-11-01\n`, 3, /amount/],
    ['an unknown currency', `${HEADER}po_1,1.00,ZZZ,paid,2026-11-01\n`, 2, /currency/],
    ['an unknown status', `${HEADER}po_1,1.00,EUR,lost,2026-11-01\n`, 2, /status/],
    ['a malformed date', `${HEADER}po_1,1.00,EUR,paid,yesterday\n`, 2, /date/],
    ['a reference given twice', `${HEADER}po_1,1.00,EUR,paid,2026-11-01\npo_1,1.00,EUR,paid,2026-11-01\n`, 3, /already on line 2/],
    ['an empty file', '', 1, /empty/],
  ])('refuses %s with its line', (_name, text, line, message) => {
    const error = refusal(text);
    expect(error.line).toBe(line);
    expect(error.message).toMatch(message);
    if (line > 0) expect(error.message).toContain(`line ${line}`);
  });

  it('refuses bad UTF-8 naming the line of the bad byte', () => {
    const bytes = Buffer.concat([Buffer.from(`${HEADER}po_1,1.00,EUR,paid,2026-11-01\npo_`), Buffer.from([0xc3, 0x28]), Buffer.from(',1.00,EUR,paid,2026-11-01\n')]);
    const error = refusal(bytes);
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/UTF-8/);
  });

  it('refuses a report above the byte limit and one with more rows than the limit', () => {
    expect(refusal(new Uint8Array(PAYOUT_REPORT_BYTES_MAXIMUM + 1)).message).toMatch(/larger than/);
    const rows = Array.from({ length: PAYOUT_REPORT_ROWS_MAXIMUM + 1 }, (_, index) => `p${index},1.00,EUR,paid,2026-11-01\n`).join('');
    const error = refusal(HEADER + rows);
    expect(error.line).toBe(PAYOUT_REPORT_ROWS_MAXIMUM + 2);
    expect(error.message).toMatch(/more than/);
  });
});

describe('reconcilePayouts', () => {
  const ledger = [
    payout('run-1:dev-a', 10000n, 'settled', { reference: 'po_A' }),
    payout('run-1:dev-b', 2500n, 'requested'),
    payout('run-1:dev-c', 700n, 'failed'),
    payout('run-1:dev-d', 999n, 'settled'),
    payout('run-1:dev-e', 123n, 'requested'),
  ];
  const report = parsePayoutReport(Buffer.from(`${HEADER
  }po_A,100.00,EUR,paid,2026-11-03
run-1:dev-b,25.00,EUR,pending,2026-11-03
run-1:dev-c,7.01,EUR,failed,2026-11-03
run-1:dev-d,9.99,EUR,failed,2026-11-03
po_Z,1.00,EUR,paid,2026-11-03
`));
  const result = reconcilePayouts(ledger, report);

  it('sorts every payout into its category, by payout id or by the settled reference', () => {
    expect(result.matched.map((line) => line.payoutId)).toEqual(['run-1:dev-a', 'run-1:dev-b']);
    expect(result.amountMismatches.map((line) => [line.payoutId, line.ledgerAmount, line.reportAmount])).toEqual([['run-1:dev-c', '7.00', '7.01']]);
    expect(result.statusMismatches.map((line) => [line.payoutId, line.ledgerStatus, line.reportStatus, line.providerStatus])).toEqual([['run-1:dev-d', 'settled', 'failed', 'failed']]);
    expect(result.missingFromReport.map((line) => line.payoutId)).toEqual(['run-1:dev-e']);
    expect(result.missingFromLedger.map((line) => [line.reference, line.reportLine])).toEqual([['po_Z', 6]]);
    expect(result.summary).toEqual({ ledgerPayouts: 5, reportRows: 5, matched: 2, missingFromReport: 1, missingFromLedger: 1, amountMismatches: 1, statusMismatches: 1 });
    expect(result.allMatched).toBe(false);
  });

  it('counts another currency as an amount mismatch, and a payout differing in both in both lists', () => {
    const rows = parsePayoutReport(Buffer.from(`${HEADER}run-1:dev-b,25.00,USD,paid,2026-11-03\n`));
    const both = reconcilePayouts([payout('run-1:dev-b', 2500n, 'requested')], rows);
    expect([both.summary.amountMismatches, both.summary.statusMismatches, both.summary.matched]).toEqual([1, 1, 0]);
  });

  it('expects in a report only the payouts requested in its period, and still matches a row to a payout requested before it', () => {
    const earlier = payout('run-0:dev-a', 500n, 'settled', { requestedAt: '2026-10-31T23:59:59.999Z' });
    const later = payout('run-2:dev-a', 600n, 'requested', { requestedAt: '2026-12-01T00:00:00.000Z' });
    const inside = payout('run-1:dev-a', 700n, 'requested');
    const rows = parsePayoutReport(Buffer.from(`${HEADER}run-0:dev-a,5.00,EUR,paid,2026-11-02\n`));
    const november = reconcilePayouts([earlier, inside, later], rows, { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' });
    expect(november.matched.map((line) => line.payoutId)).toEqual(['run-0:dev-a']);
    expect(november.missingFromReport.map((line) => line.payoutId)).toEqual(['run-1:dev-a']);
    expect(november.summary.ledgerPayouts).toBe(1);
    expect(november.period).toEqual({ from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' });
    // Without a period every payout is expected.
    expect(reconcilePayouts([earlier, inside, later], rows).missingFromReport.map((line) => line.payoutId)).toEqual(['run-1:dev-a', 'run-2:dev-a']);
  });

  it('says all matched only when nothing is unmatched', () => {
    const rows = parsePayoutReport(Buffer.from(`${HEADER}run-1:dev-b,25.00,EUR,in_transit,2026-11-03\n`));
    expect(reconcilePayouts([payout('run-1:dev-b', 2500n, 'requested')], rows).allMatched).toBe(true);
    expect(reconcilePayouts([], []).allMatched).toBe(true);
  });

  it('writes CSV: one line a payout, its category first', () => {
    const lines = reconciliationAsCsv(result).trimEnd().split('\r\n');
    expect(lines[0]).toBe('category,payoutId,reference,developerId,ledgerAmount,ledgerCurrency,ledgerStatus,requestedAt,reportAmount,reportCurrency,reportStatus,providerStatus,reportDate,reportLine');
    expect(lines).toHaveLength(1 + 6);
    expect(lines.filter((line) => line.startsWith('amountMismatches,run-1:dev-c,run-1:dev-c,dev-1,7.00,EUR,failed'))).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith('missingFromLedger,,po_Z,'))).toHaveLength(1);
  });
});

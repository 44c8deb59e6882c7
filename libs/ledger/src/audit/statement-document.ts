import { formatMoney } from '@rsi/domain';
import type { DeveloperStatement } from './developer-statement';
import { minorOfDecimal, type StatementConversionFigures, type StatementLine, type StatementLineKind } from './statement-line';

/**
 * The developer's statement as a document a person reads (browser-safe, pure): the summary
 * per currency and the totals per app first (gross, platform share, carve-outs, net), then
 * receipts, refunds and payouts apart. The portal's statement page and the CLI's
 * `statement --format html` both render this model, so they say the same thing. Amounts
 * stay decimal strings with the currency's decimals; sums are bigint minor units.
 */
export const STATEMENT_LINE_KIND_LABELS: Record<StatementLineKind, string> = {
  receipt_credit: 'Receipt',
  refund_debit: 'Refund',
  payout_requested: 'Payout requested',
  payout_settled: 'Payout settled',
  payout_failed: 'Payout failed (returned)',
  dispute_debit: 'Dispute opened (held)',
  dispute_won: 'Dispute won (returned)',
  dispute_lost: 'Dispute lost',
};

export type StatementDocumentLine = {
  kind: StatementLineKind;
  kindLabel: string;
  reference: string;
  appId: string | null;
  receiptId: string | null;
  currency: string;
  /** Effect on the developer's balance (signed). */
  amount: string;
  /** The receipt's, refund's or payout's whole amount. */
  grossAmount: string;
  /** What the platform and the carve-outs took (receipts) or gave back (refunds); null for payouts. */
  platformShare: string | null;
  carveOuts: string | null;
  occurredAt: string;
  bookedAt: string;
  /** Booked in a later period than it occurred in: both dates matter. */
  late: boolean;
  availableAt: string | null;
  contractVersion: number | null;
  contractHash: string | null;
  /** Revenue category of a receipt or refund line; null on other lines (and on lines of statements issued before categories). */
  category: string | null;
  eventId: string;
  eventHash: string;
  leafIndex: number | null;
  /** A payout in another currency: what it pays, at which rate, from which source; null otherwise. */
  conversion: StatementConversionFigures | null;
};

export type StatementCurrencySummary = {
  currency: string;
  opening: string;
  receiptCount: number;
  receiptsGross: string;
  platformShare: string;
  carveOuts: string;
  /** The developer's share of the receipts. */
  receiptsNet: string;
  refundCount: number;
  /** Debited from the developer for refunds. */
  refunds: string;
  payoutCount: number;
  /** Requested payouts (debited), less failed ones (returned). */
  payouts: string;
  disputeCount: number;
  /** Held or charged for disputes, less what won disputes returned. */
  disputes: string;
  closing: string;
  pending: string;
  available: string;
};

export type StatementAppTotals = {
  appId: string;
  currency: string;
  receiptCount: number;
  gross: string;
  platformShare: string;
  carveOuts: string;
  net: string;
  refundCount: number;
  refunds: string;
};

export type StatementDocument = {
  developerId: string;
  developerName: string;
  period: string;
  periodStart: string;
  periodEnd: string;
  balancesAsOf: string;
  seal: { period: string; merkleRoot: string; eventCount: number; sealedAt: string } | null;
  currencies: StatementCurrencySummary[];
  apps: StatementAppTotals[];
  receipts: StatementDocumentLine[];
  refunds: StatementDocumentLine[];
  payouts: StatementDocumentLine[];
  disputes: StatementDocumentLine[];
};

type SplitShares = { platformMinor: bigint; carveOutsMinor: bigint };

/** Platform line first, developer line last, carve-outs between (the split rule's order). */
function sharesOf(line: StatementLine): SplitShares | null {
  const data = line.eventBody.data as { lines?: unknown };
  if (!Array.isArray(data.lines) || data.lines.length < 2) return null;
  const amounts = (data.lines as { amountMinor?: unknown }[]).map((split) => BigInt(String(split.amountMinor)));
  let carveOutsMinor = 0n;
  for (let index = 1; index < amounts.length - 1; index += 1) carveOutsMinor += amounts[index]!;
  return { platformMinor: amounts[0]!, carveOutsMinor };
}

function minor(text: string, currency: string): bigint {
  return minorOfDecimal(text, currency) ?? 0n;
}

export function statementDocumentOf(statement: DeveloperStatement): StatementDocument {
  const receipts: StatementDocumentLine[] = [];
  const refunds: StatementDocumentLine[] = [];
  const payouts: StatementDocumentLine[] = [];
  const disputes: StatementDocumentLine[] = [];
  const currencyTotals = new Map<string, {
    receiptCount: number; grossMinor: bigint; platformMinor: bigint; carveOutsMinor: bigint; netMinor: bigint; refundCount: number; refundsMinor: bigint;
    payoutCount: number; payoutsMinor: bigint; disputeCount: number; disputesMinor: bigint;
  }>();
  const appTotals = new Map<string, { appId: string; currency: string; receiptCount: number; grossMinor: bigint; platformMinor: bigint; carveOutsMinor: bigint; netMinor: bigint; refundCount: number; refundsMinor: bigint }>();
  const totalsOf = (currency: string) => {
    let totals = currencyTotals.get(currency);
    if (!totals) {
      totals = { receiptCount: 0, grossMinor: 0n, platformMinor: 0n, carveOutsMinor: 0n, netMinor: 0n, refundCount: 0, refundsMinor: 0n, payoutCount: 0, payoutsMinor: 0n, disputeCount: 0, disputesMinor: 0n };
      currencyTotals.set(currency, totals);
    }
    return totals;
  };
  const appOf = (appId: string, currency: string) => {
    const key = `${appId}\u0000${currency}`;
    let totals = appTotals.get(key);
    if (!totals) {
      totals = { appId, currency, receiptCount: 0, grossMinor: 0n, platformMinor: 0n, carveOutsMinor: 0n, netMinor: 0n, refundCount: 0, refundsMinor: 0n };
      appTotals.set(key, totals);
    }
    return totals;
  };
  for (const line of statement.lines) {
    const { currency } = line;
    const shares = line.kind === 'receipt_credit' || line.kind === 'refund_debit' ? sharesOf(line) : null;
    const documentLine: StatementDocumentLine = {
      kind: line.kind, kindLabel: STATEMENT_LINE_KIND_LABELS[line.kind], reference: line.reference, appId: line.appId, receiptId: line.receiptId,
      currency, amount: line.amount, grossAmount: line.grossAmount,
      platformShare: shares === null ? null : formatMoney(shares.platformMinor, currency),
      carveOuts: shares === null ? null : formatMoney(shares.carveOutsMinor, currency),
      occurredAt: line.occurredAt, bookedAt: line.bookedAt, late: line.occurredAt < statement.periodStart,
      availableAt: line.availableAt, contractVersion: line.contractVersion, contractHash: line.contractHash, category: line.category ?? null,
      eventId: line.eventId, eventHash: line.eventHash, leafIndex: line.leafIndex,
      conversion: line.payoutCurrency === undefined || line.payoutAmount === undefined || line.fxRate === undefined || line.fxSource === undefined ? null
        : { payoutCurrency: line.payoutCurrency, payoutAmount: line.payoutAmount, fxRate: line.fxRate, fxSource: line.fxSource },
    };
    const totals = totalsOf(currency);
    const amountMinor = minor(line.amount, currency);
    if (line.kind === 'receipt_credit') {
      receipts.push(documentLine);
      const grossMinor = minor(line.grossAmount, currency);
      totals.receiptCount += 1;
      totals.grossMinor += grossMinor;
      totals.netMinor += amountMinor;
      totals.platformMinor += shares?.platformMinor ?? 0n;
      totals.carveOutsMinor += shares?.carveOutsMinor ?? 0n;
      if (line.appId !== null) {
        const app = appOf(line.appId, currency);
        app.receiptCount += 1;
        app.grossMinor += grossMinor;
        app.netMinor += amountMinor;
        app.platformMinor += shares?.platformMinor ?? 0n;
        app.carveOutsMinor += shares?.carveOutsMinor ?? 0n;
      }
    } else if (line.kind === 'refund_debit') {
      refunds.push(documentLine);
      totals.refundCount += 1;
      totals.refundsMinor -= amountMinor;
      if (line.appId !== null) {
        const app = appOf(line.appId, currency);
        app.refundCount += 1;
        app.refundsMinor -= amountMinor;
      }
    } else if (line.kind === 'dispute_debit' || line.kind === 'dispute_won' || line.kind === 'dispute_lost') {
      disputes.push(documentLine);
      if (line.kind === 'dispute_debit') totals.disputeCount += 1;
      totals.disputesMinor -= amountMinor;
    } else {
      payouts.push(documentLine);
      if (line.kind === 'payout_requested') totals.payoutCount += 1;
      totals.payoutsMinor -= amountMinor;
    }
  }
  const money = (amountMinor: bigint, currency: string) => formatMoney(amountMinor, currency);
  const currencies = statement.balances.map((balance): StatementCurrencySummary => {
    const totals = totalsOf(balance.currency);
    return {
      currency: balance.currency, opening: balance.opening,
      receiptCount: totals.receiptCount, receiptsGross: money(totals.grossMinor, balance.currency),
      platformShare: money(totals.platformMinor, balance.currency), carveOuts: money(totals.carveOutsMinor, balance.currency),
      receiptsNet: money(totals.netMinor, balance.currency), refundCount: totals.refundCount, refunds: money(totals.refundsMinor, balance.currency),
      payoutCount: totals.payoutCount, payouts: money(totals.payoutsMinor, balance.currency),
      disputeCount: totals.disputeCount, disputes: money(totals.disputesMinor, balance.currency),
      closing: balance.closing, pending: balance.pending, available: balance.available,
    };
  });
  const apps = [...appTotals.values()]
    .sort((left, right) => (left.appId === right.appId ? left.currency.localeCompare(right.currency) : left.appId.localeCompare(right.appId)))
    .map((app): StatementAppTotals => ({
      appId: app.appId, currency: app.currency, receiptCount: app.receiptCount, gross: money(app.grossMinor, app.currency),
      platformShare: money(app.platformMinor, app.currency), carveOuts: money(app.carveOutsMinor, app.currency), net: money(app.netMinor, app.currency),
      refundCount: app.refundCount, refunds: money(app.refundsMinor, app.currency),
    }));
  const seal = statement.seal;
  return {
    developerId: statement.developerId, developerName: statement.developerName, period: statement.period,
    periodStart: statement.periodStart, periodEnd: statement.periodEnd, balancesAsOf: statement.balancesAsOf,
    seal: seal === null ? null : { period: seal.period, merkleRoot: seal.merkleRoot, eventCount: seal.eventCount, sealedAt: seal.sealedAt },
    currencies, apps, receipts, refunds, payouts, disputes,
  };
}

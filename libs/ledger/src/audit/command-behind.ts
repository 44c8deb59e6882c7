import { formatMoney, type DeveloperCommand, type DeveloperEvent } from '@rsi/domain';

/**
 * The command that must have produced a recorded split, refund or dispute reversal, rebuilt from
 * its event: deciding it again on the state before the event must give the event back
 * (verify), or give another split under other terms (what-if).
 */
export function commandBehind(event: DeveloperEvent): DeveloperCommand | null {
  if (event.type === 'RevenueRecorded') {
    const data = event.data;
    return {
      type: 'RecordRevenue',
      data: {
        receiptId: data.receiptId, appId: data.appId, amount: formatMoney(data.amountMinor, data.currency), currency: data.currency, occurredAt: data.occurredAt,
        category: data.category,
      },
    };
  }
  if (event.type === 'RevenueRefunded') {
    const data = event.data;
    return { type: 'RefundRevenue', data: { refundId: data.refundId, receiptId: data.receiptId, amount: formatMoney(data.amountMinor, data.currency), occurredAt: data.occurredAt } };
  }
  if (event.type === 'DisputeOpened') {
    const data = event.data;
    return {
      type: 'OpenDispute',
      data: { disputeId: data.disputeId, receiptId: data.receiptId, amount: formatMoney(data.amountMinor, data.currency), fee: formatMoney(data.feeMinor, data.currency), openedAt: data.openedAt },
    };
  }
  if (event.type === 'DisputeResolved') {
    const data = event.data;
    return { type: 'ResolveDispute', data: { disputeId: data.disputeId, outcome: data.outcome, resolvedAt: data.resolvedAt } };
  }
  if (event.type === 'PayoutRunAssessed') {
    const data = event.data;
    return { type: 'AssessRunPayout', data: { runId: data.runId, developerId: data.developerId, currency: data.currency, asOf: data.asOf } };
  }
  return null;
}

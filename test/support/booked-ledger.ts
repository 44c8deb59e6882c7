import type { LedgerCommand, LedgerRuntime } from '@rsi/ledger';

/**
 * A small ledger booked over three months (booking times are passed in, as the CLI passes
 * its clock), for statements and seals:
 *
 * - booked in January: developers `ada` and `bea`, app `ada-chat` (20% flat, hold 14 days),
 *   receipts r1 100.00 (occurred Jan 10) and r2 50.00 (Jan 20);
 * - booked in February: a refund of 10.00 of r1, a LATE receipt r3 30.00 that occurred on
 *   Jan 28 (in January, which is sealed by then), payout p1 30.00 requested and settled,
 *   and a receipt of bea;
 * - booked in March: receipt r4 60.00, payout p2 20.00 requested and failed.
 *
 * Ada's developer line: January +80.00 +40.00 = 120.00; February +24.00 −8.00 −30.00 → 106.00;
 * March +48.00 −20.00 +20.00 → 154.00.
 */
export const BOOKED_LEDGER = {
  developerId: 'ada',
  otherDeveloperId: 'bea',
  januaryBookedAt: '2026-01-25T12:00:00.000Z',
  februaryBookedAt: '2026-02-10T12:00:00.000Z',
  februarySettledBookedAt: '2026-02-12T09:00:00.000Z',
  marchBookedAt: '2026-03-06T12:00:00.000Z',
} as const;

function contract(effectiveFrom: string): Record<string, unknown> {
  return {
    currency: 'USD', effectiveFrom,
    platformShare: { tiers: [{ rate: '20%' }], window: 'lifetime', scope: 'app' },
    holdDays: 14, minimumPayout: '10.00',
  };
}

async function book(runtime: LedgerRuntime, recordedAt: string, commands: LedgerCommand[]): Promise<void> {
  const outcomes = await runtime.bus.executeBatch(commands, { actor: 'test:booked-ledger', recordedAt });
  const refused = outcomes.flatMap((outcome) => (outcome.status === 'refused' || outcome.status === 'failed' ? [`${outcome.commandId}: ${outcome.error.message}`] : []));
  if (refused.length > 0) throw new Error(`refused: ${refused.join('; ')}`);
}

export async function bookThreeMonths(runtime: LedgerRuntime): Promise<void> {
  await book(runtime, BOOKED_LEDGER.januaryBookedAt, [
    { type: 'RegisterDeveloper', data: { developerId: 'ada', name: 'Ada <Labs> & "Co"', country: 'NG' } },
    { type: 'RegisterDeveloper', data: { developerId: 'bea', name: 'Bea', country: 'KE' } },
    { type: 'RegisterApp', data: { appId: 'ada-chat', developerId: 'ada', name: 'Ada Chat', contract: contract('2026-01-01T00:00:00Z') } },
    { type: 'RegisterApp', data: { appId: 'bea-voice', developerId: 'bea', name: 'Bea Voice', contract: contract('2026-01-01T00:00:00Z') } },
    { type: 'RecordRevenue', data: { receiptId: 'r1', appId: 'ada-chat', amount: '100.00', currency: 'USD', occurredAt: '2026-01-10T10:00:00Z' } },
    { type: 'RecordRevenue', data: { receiptId: 'r2', appId: 'ada-chat', amount: '50.00', currency: 'USD', occurredAt: '2026-01-20T10:00:00Z' } },
  ]);
  await book(runtime, BOOKED_LEDGER.februaryBookedAt, [
    { type: 'RefundRevenue', data: { refundId: 'f1', receiptId: 'r1', amount: '10.00', occurredAt: '2026-02-05T10:00:00Z' } },
    { type: 'RecordRevenue', data: { receiptId: 'r3', appId: 'ada-chat', amount: '30.00', currency: 'USD', occurredAt: '2026-01-28T10:00:00Z' } },
    { type: 'RequestPayout', data: { payoutId: 'p1', developerId: 'ada', currency: 'USD', amount: '30.00', requestedAt: '2026-02-10T11:00:00Z' } },
    { type: 'RecordRevenue', data: { receiptId: 'b1', appId: 'bea-voice', amount: '70.00', currency: 'USD', occurredAt: '2026-02-09T10:00:00Z' } },
  ]);
  await book(runtime, BOOKED_LEDGER.februarySettledBookedAt, [
    { type: 'SettlePayout', data: { payoutId: 'p1', settledAt: '2026-02-12T08:00:00Z', reference: 'bank-001' } },
  ]);
  await book(runtime, BOOKED_LEDGER.marchBookedAt, [
    { type: 'RecordRevenue', data: { receiptId: 'r4', appId: 'ada-chat', amount: '60.00', currency: 'USD', occurredAt: '2026-03-05T10:00:00Z' } },
    { type: 'RequestPayout', data: { payoutId: 'p2', developerId: 'ada', currency: 'USD', amount: '20.00', requestedAt: '2026-03-06T11:00:00Z' } },
    { type: 'FailPayout', data: { payoutId: 'p2', failedAt: '2026-03-06T11:30:00Z', reason: 'account closed' } },
  ]);
  await runtime.projector.catchUp();
}

import { PersonalDataKeys } from '@rsi/database';
import { decodeDeveloperEvent, developerStateFrom, receiptRemainingMinor } from '@rsi/domain';
import { CommandDirectory } from './command-routing';
import { LedgerCommandService } from './ledger-command.service';
import type { CommandOutcome } from '../core/command-outcome';
import { openTestLedger, type TestLedger } from '../../../../test/support/test-ledger';

const context = { actor: 'test:held-receipts', recordedAt: '2026-11-21T00:00:00.000Z' };
const contract = {
  currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ rate: '20%' }], window: 'lifetime', scope: 'app' },
  holdDays: 14, minimumPayout: '50.00',
};

/** A receipt `hour` hours into March 2026. */
function receipt(receiptId: string, amount: string, hour: number) {
  const occurredAt = new Date(Date.UTC(2026, 2, 1) + hour * 3_600_000).toISOString();
  return { type: 'RecordRevenue', data: { receiptId, appId: 'held-app', amount, currency: 'USD', occurredAt } };
}

function statusesOf(outcomes: CommandOutcome[]): string[] {
  return outcomes.map((outcome) => (outcome.status === 'refused' || outcome.status === 'failed' ? `${outcome.status}:${outcome.error.code}` : outcome.status));
}

/**
 * A developer state holds a bounded working set of receipts (here 2): a command naming a
 * receipt, refund or dispute it let go is given it back from the stored events, and is
 * decided exactly as on a state that held everything.
 */
describe('LedgerCommandService with receipts let go of (held receipts maximum 2)', () => {
  let ledger: TestLedger;
  let service: LedgerCommandService;
  const newService = () => new LedgerCommandService(
    ledger.runtime.store, new CommandDirectory(ledger.runtime.connection.pool), () => ledger.runtime.projector.catchUp(),
    new PersonalDataKeys(ledger.runtime.connection.pool), { heldReceiptsPerStreamMaximum: 2 },
  );
  // Three receipts after the one a test is about, each in its own batch: that receipt is let go.
  let fillerHour = 10;
  const evict = async () => {
    for (let index = 0; index < 3; index += 1) {
      fillerHour += 1;
      const outcome = await service.execute(receipt(`held-filler-${fillerHour}`, '1.00', fillerHour), context);
      expect(outcome.status).toBe('recorded');
    }
  };

  beforeAll(async () => {
    ledger = await openTestLedger();
    service = newService();
    const setup = await service.executeBatch([
      { type: 'RegisterDeveloper', data: { developerId: 'held', name: 'Held Receipts', country: 'DE' } },
      { type: 'RegisterApp', data: { appId: 'held-app', developerId: 'held', name: 'App', contract } },
      receipt('held-r1', '100.00', 1),
      receipt('held-r2', '200.00', 2),
    ], context);
    expect(statusesOf(setup)).toEqual(['recorded', 'recorded', 'recorded', 'recorded']);
    await evict();
  });

  afterAll(async () => { await ledger?.cleanup(); });

  it('finds a duplicate receipt it no longer holds: same content already recorded, other content a conflict', async () => {
    const outcomes = await service.executeBatch([receipt('held-r1', '100.00', 1), receipt('held-r1', '100.01', 1)], context);
    expect(statusesOf(outcomes)).toEqual(['already_recorded', 'refused:duplicate_receipt']);
  });

  it('refunds a receipt it no longer holds, within what remains, across evictions', async () => {
    await evict();
    const first = await service.execute({ type: 'RefundRevenue', data: { refundId: 'held-f1', receiptId: 'held-r1', amount: '60.00', occurredAt: '2026-04-01T00:00:00Z' } }, context);
    expect(first.status).toBe('recorded');
    await evict();
    // 40.00 remain of held-r1: 40.01 is too much, 40.00 is exact.
    const tooMuch = await service.execute({ type: 'RefundRevenue', data: { refundId: 'held-f2', receiptId: 'held-r1', amount: '40.01', occurredAt: '2026-04-02T00:00:00Z' } }, context);
    expect(tooMuch.status === 'refused' && tooMuch.error.code).toBe('refund_exceeds_remaining');
    if (tooMuch.status === 'refused') expect(tooMuch.error.message).toContain('40.00');
    await evict();
    const rest = await service.execute({ type: 'RefundRevenue', data: { refundId: 'held-f2', receiptId: 'held-r1', amount: '40.00', occurredAt: '2026-04-02T00:00:00Z' } }, context);
    expect(rest.status).toBe('recorded');
  });

  it('finds a duplicate refund it no longer holds', async () => {
    await evict();
    const outcomes = await service.executeBatch([
      { type: 'RefundRevenue', data: { refundId: 'held-f1', receiptId: 'held-r1', amount: '60.00', occurredAt: '2026-04-01T00:00:00Z' } },
      { type: 'RefundRevenue', data: { refundId: 'held-f1', receiptId: 'held-r1', amount: '50.00', occurredAt: '2026-04-01T00:00:00Z' } },
    ], context);
    expect(statusesOf(outcomes)).toEqual(['already_recorded', 'refused:duplicate_refund']);
  });

  it('opens and resolves a dispute on a receipt it no longer holds, and gives a won dispute back', async () => {
    await evict();
    const opened = await service.execute({ type: 'OpenDispute', data: { disputeId: 'held-d1', receiptId: 'held-r2', amount: '150.00', fee: '15.00', openedAt: '2026-04-03T00:00:00Z' } }, context);
    expect(opened.status).toBe('recorded');
    await evict();
    const tooMuch = await service.execute({ type: 'RefundRevenue', data: { refundId: 'held-f3', receiptId: 'held-r2', amount: '50.01', occurredAt: '2026-04-04T00:00:00Z' } }, context);
    expect(tooMuch.status === 'refused' && tooMuch.error.code).toBe('refund_exceeds_remaining');
    await evict();
    const won = await service.execute({ type: 'ResolveDispute', data: { disputeId: 'held-d1', outcome: 'won', resolvedAt: '2026-04-05T00:00:00Z' } }, context);
    expect(won.status).toBe('recorded');
    await evict();
    const again = await service.execute({ type: 'ResolveDispute', data: { disputeId: 'held-d1', outcome: 'won', resolvedAt: '2026-04-05T00:00:00Z' } }, context);
    expect(again.status).toBe('already_recorded');
    const reopened = await service.execute({ type: 'OpenDispute', data: { disputeId: 'held-d1', receiptId: 'held-r2', amount: '150.00', fee: '15.00', openedAt: '2026-04-03T00:00:00Z' } }, context);
    expect(reopened.status).toBe('already_recorded');
    await evict();
    // Won: all 200.00 remain to be refunded.
    const whole = await service.execute({ type: 'RefundRevenue', data: { refundId: 'held-f3', receiptId: 'held-r2', amount: '200.00', occurredAt: '2026-04-06T00:00:00Z' } }, context);
    expect(whole.status).toBe('recorded');
  });

  it('decides in a new process (its state read from the stream, trimmed page by page) as the full history says', async () => {
    service = newService();
    const outcomes = await service.executeBatch([
      receipt('held-r1', '100.00', 1),
      { type: 'RefundRevenue', data: { refundId: 'held-f4', receiptId: 'held-r2', amount: '0.01', occurredAt: '2026-04-07T00:00:00Z' } },
      receipt('held-r9', '9.00', 9),
      { type: 'RefundRevenue', data: { refundId: 'held-f9', receiptId: 'held-r9', amount: '9.00', occurredAt: '2026-04-07T00:00:00Z' } },
    ], context);
    expect(statusesOf(outcomes)).toEqual(['already_recorded', 'refused:refund_exceeds_remaining', 'recorded', 'recorded']);
    // The stream folded whole agrees: held-r1 and held-r2 are fully refunded.
    const stream = await ledger.runtime.store.readStream('developer-held');
    const full = developerStateFrom(stream.events.map((event) => decodeDeveloperEvent(event.type, event.data)));
    expect(receiptRemainingMinor(full.receipts.get('held-r1')!)).toBe(0n);
    expect(receiptRemainingMinor(full.receipts.get('held-r2')!)).toBe(0n);
    expect(receiptRemainingMinor(full.receipts.get('held-r9')!)).toBe(0n);
  });
});

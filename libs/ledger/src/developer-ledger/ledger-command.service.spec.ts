import { CommandDirectory } from './command-routing';
import { PersonalDataKeys } from '@rsi/database';
import { LedgerCommandService } from './ledger-command.service';
import { openTestLedger, type TestLedger } from '../../../../test/support/test-ledger';

const context = { actor: 'test:two-writers', recordedAt: '2026-11-21T00:00:00.000Z' };
const contract = {
  currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ upTo: '1000.00', rate: '0%' }, { rate: '15%' }], window: 'lifetime', scope: 'app' },
  holdDays: 14, minimumPayout: '50.00',
};

/**
 * Two ledger services on one store stand for two API instances: each caches decided states
 * and uses them optimistically, so each must notice what the other appended.
 */
describe('LedgerCommandService with another writer on the same streams', () => {
  let ledger: TestLedger;
  let first: LedgerCommandService;
  let second: LedgerCommandService;

  beforeAll(async () => {
    ledger = await openTestLedger();
    const { runtime } = ledger;
    const catchUp = () => runtime.projector.catchUp();
    first = new LedgerCommandService(runtime.store, new CommandDirectory(runtime.connection.pool), catchUp, new PersonalDataKeys(runtime.connection.pool));
    second = new LedgerCommandService(runtime.store, new CommandDirectory(runtime.connection.pool), catchUp, new PersonalDataKeys(runtime.connection.pool));
    const setup = await first.executeBatch([
      { type: 'RegisterDeveloper', data: { developerId: 'two', name: 'Two Writers', country: 'NG' } },
      { type: 'RegisterApp', data: { appId: 'two-app', developerId: 'two', name: 'App', contract } },
      { type: 'RecordRevenue', data: { receiptId: 'two-r1', appId: 'two-app', amount: '600.00', currency: 'USD', occurredAt: '2026-02-01T00:00:00Z' } },
    ], context);
    expect(setup.map((outcome) => outcome.status)).toEqual(['recorded', 'recorded', 'recorded']);
  });

  afterAll(async () => { await ledger?.cleanup(); });

  it('refunds a receipt that the other writer recorded after this one cached the stream', async () => {
    const recorded = await second.execute({ type: 'RecordRevenue', data: { receiptId: 'two-r2', appId: 'two-app', amount: '600.00', currency: 'USD', occurredAt: '2026-02-02T00:00:00Z' } }, context);
    expect(recorded.status).toBe('recorded');
    const refund = await first.execute({ type: 'RefundRevenue', data: { refundId: 'two-f2', receiptId: 'two-r2', amount: '100.00', occurredAt: '2026-02-03T00:00:00Z' } }, context);
    expect(refund.status).toBe('recorded');
  });

  it('splits by the tier counter that includes the other writer’s receipts', async () => {
    // 600 + 600 are recorded: the next 100.00 lies wholly above the 1000.00 threshold.
    await second.execute({ type: 'RecordRevenue', data: { receiptId: 'two-r3', appId: 'two-app', amount: '50.00', currency: 'USD', occurredAt: '2026-02-04T00:00:00Z' } }, context);
    const outcome = await first.execute({ type: 'RecordRevenue', data: { receiptId: 'two-r4', appId: 'two-app', amount: '100.00', currency: 'USD', occurredAt: '2026-02-05T00:00:00Z' } }, context);
    expect(outcome.status).toBe('recorded');
    if (outcome.status !== 'recorded') return;
    const lines = (outcome.events[0].data as { lines: { party: string; amountMinor: bigint }[] }).lines;
    expect(lines).toEqual([{ party: 'platform', amountMinor: 1500n }, { party: 'developer:two', amountMinor: 8500n }]);
    const stream = await ledger.runtime.store.readStream('developer-two');
    expect(stream.events.map((event) => event.streamVersion)).toEqual(stream.events.map((_, index) => BigInt(index)));
    expect(stream.events).toHaveLength(7);
  });
});

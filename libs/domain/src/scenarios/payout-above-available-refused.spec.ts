import {
  contractTerms, failPayout, given, history, platformShare, recordRevenue, refundRevenue, registerApp, registerDeveloper,
  requestPayout, run,
} from '../testing/developer-decider.support';
import { availableBalanceMinor, pendingBalanceMinor } from '../developer/developer.state';

// 10% flat; credits become available 14 days after occurredAt; minimum payout 50.00.
const contract = contractTerms({ platformShare: platformShare([{ rate: '10%' }]) });
const base = [
  registerDeveloper(),
  registerApp('app-1', contract),
  recordRevenue('r-1', 'app-1', '1000.00', '2026-01-01T00:00:00Z'), // developer 900.00, available 2026-01-15
  recordRevenue('r-2', 'app-1', '1000.00', '2026-01-10T00:00:00Z'), // developer 900.00, available 2026-01-24
  refundRevenue('f-1', 'r-2', '100.00', '2026-01-11T00:00:00Z'), // developer reversal 90.00, at once
];

describe('a payout above the available balance is refused', () => {
  it('counts only credits whose hold has ended, minus refunds at once', () => {
    const { state } = run(base);
    const asOf = Date.parse('2026-01-20T00:00:00Z');
    expect(availableBalanceMinor(state, 'USD', asOf)).toBe(81000n);
    expect(pendingBalanceMinor(state, 'USD', asOf)).toBe(90000n);
  });

  it('refuses one unit above available, accepts exactly available', () => {
    given(history(base)).when(requestPayout('p-1', '810.01', '2026-01-20T00:00:00Z')).thenRefused('payout_above_available', 'conflict', 'amount');
    expect(given(history(base)).when(requestPayout('p-1', '810.00', '2026-01-20T00:00:00Z')).thenEvents()).toHaveLength(1);
  });

  it('subtracts payouts requested earlier and credits a failed payout back', () => {
    const afterPayout = [...base, requestPayout('p-1', '800.00', '2026-01-20T00:00:00Z')];
    given(history(afterPayout)).when(requestPayout('p-2', '50.00', '2026-01-21T00:00:00Z')).thenRefused('payout_above_available', 'conflict');
    const afterFailure = [...afterPayout, failPayout('p-1', '2026-01-22T00:00:00Z')];
    expect(given(history(afterFailure)).when(requestPayout('p-2', '810.00', '2026-01-22T00:00:00Z')).thenEvents()).toHaveLength(1);
  });

  it('carries a negative balance forward after a refund that follows a payout', () => {
    const { state } = run([...base, requestPayout('p-1', '810.00', '2026-01-20T00:00:00Z'), refundRevenue('f-2', 'r-1', '1000.00', '2026-01-21T00:00:00Z')]);
    expect(availableBalanceMinor(state, 'USD', Date.parse('2026-01-21T00:00:00Z'))).toBe(-90000n);
    given(history([...base, requestPayout('p-1', '810.00', '2026-01-20T00:00:00Z'), refundRevenue('f-2', 'r-1', '1000.00', '2026-01-21T00:00:00Z')]))
      .when(requestPayout('p-2', '900.00', '2026-02-01T00:00:00Z')).thenRefused('payout_above_available', 'conflict');
  });

  it('refuses below the largest minimum among the latest versions of the apps in that currency', () => {
    const twoApps = [...base, registerApp('app-2', contractTerms({ minimumPayout: '200.00' }))];
    given(history(twoApps)).when(requestPayout('p-1', '199.99', '2026-01-20T00:00:00Z')).thenRefused('payout_below_minimum', 'invalid');
  });
});

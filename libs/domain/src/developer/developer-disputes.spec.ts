import { DisputeOpened, SPLIT_RULE_VERSION } from '../ledger.events';
import { contractHash, parseContractTerms } from '../contract/contract-terms.parser';
import {
  DEVELOPER_ID, DEVELOPER_PARTY, contractTerms, given, history, lineSummary, openDispute, recordRevenue, refundRevenue, registerApp,
  registerDeveloper, requestPayout, resolveDispute, run,
} from '../testing/developer-decider.support';
import { availableBalanceMinor } from './developer.state';

// 2000.00 on 0% up to 1000.00 and 15% above: platform 150.00, developer 1850.00; available from 2026-01-24.
const receipt = [registerDeveloper(), registerApp('app-1'), recordRevenue('r-1', 'app-1', '2000.00', '2026-01-10T00:00:00Z')];
const withReceipt = history(receipt);
const opened = history([...receipt, openDispute('d-1', 'r-1', '1000.00', '2026-02-01T00:00:00Z')]);
const AFTER = Date.parse('2026-06-01T00:00:00Z');

describe('OpenDispute', () => {
  it('reverses the amount across the receipt lines by the refund rule and charges the fee to the developer by default', () => {
    const events = given(withReceipt).when(openDispute('d-1', 'r-1', '1000.00', '2026-02-01T00:00:00Z')).thenEvents();
    expect(events).toHaveLength(1);
    const event = events[0] as DisputeOpened;
    expect(event.type).toBe('DisputeOpened');
    expect(event.data).toMatchObject({
      disputeId: 'd-1', receiptId: 'r-1', appId: 'app-1', developerId: DEVELOPER_ID, currency: 'USD', amountMinor: 100000n, feeMinor: 1500n,
      feeBearer: 'developer', openedAt: '2026-02-01T00:00:00.000Z', contractVersion: 1, splitRuleVersion: SPLIT_RULE_VERSION,
      contractHash: contractHash(parseContractTerms(contractTerms())),
    });
    // Half the receipt: half of each line.
    expect(lineSummary(event.data.lines)).toEqual(['platform=7500', `${DEVELOPER_PARTY}=92500`]);
  });

  it('charges the fee to the platform when the contract says so', () => {
    const platformBears = history([registerDeveloper(), registerApp('app-1', contractTerms({ disputeFeeBearer: 'platform' })), receipt[2]!]);
    const event = given(platformBears).when(openDispute('d-1', 'r-1', '10.00', '2026-02-01T00:00:00Z')).thenEvents()[0] as DisputeOpened;
    expect(event.data.feeBearer).toBe('platform');
  });

  it('takes the disputed developer part and the fee out of available at once', () => {
    const { state } = run([...receipt, openDispute('d-1', 'r-1', '1000.00', '2026-02-01T00:00:00Z')]);
    expect(availableBalanceMinor(state, 'USD', AFTER)).toBe(185000n - 92500n - 1500n);
  });

  it('is idempotent when identical, refused with other content', () => {
    given(opened).when(openDispute('d-1', 'r-1', '1000.00', '2026-02-01T00:00:00Z')).then([]);
    given(opened).when(openDispute('d-1', 'r-1', '999.00', '2026-02-01T00:00:00Z')).thenRefused('duplicate_dispute', 'conflict', 'disputeId');
  });

  it('refuses more than is neither refunded nor under dispute', () => {
    given(opened).when(openDispute('d-2', 'r-1', '1000.01', '2026-02-02T00:00:00Z')).thenRefused('dispute_exceeds_remaining', 'conflict', 'amount');
    const refunded = history([...receipt, refundRevenue('f-1', 'r-1', '1500.00', '2026-01-20T00:00:00Z')]);
    given(refunded).when(openDispute('d-1', 'r-1', '500.01', '2026-02-02T00:00:00Z')).thenRefused('dispute_exceeds_remaining');
    given(refunded).when(openDispute('d-1', 'r-1', '500.00', '2026-02-02T00:00:00Z')).thenEvents();
  });

  it('makes refunds respect what is under dispute', () => {
    given(opened).when(refundRevenue('f-1', 'r-1', '1000.01', '2026-02-02T00:00:00Z')).thenRefused('refund_exceeds_remaining');
    given(opened).when(refundRevenue('f-1', 'r-1', '1000.00', '2026-02-02T00:00:00Z')).thenEvents();
  });

  it('refuses an unknown receipt, a dispute before its receipt, a negative fee', () => {
    given(withReceipt).when(openDispute('d-1', 'r-9', '1.00', '2026-02-01T00:00:00Z')).thenRefused('unknown_receipt', 'not_found');
    given(withReceipt).when(openDispute('d-1', 'r-1', '1.00', '2026-01-09T00:00:00Z')).thenRefused('dispute_before_receipt', 'invalid', 'openedAt');
    given(withReceipt).when(openDispute('d-1', 'r-1', '1.00', '2026-02-01T00:00:00Z', '-1.00')).thenRefused('amount_negative', undefined, 'fee');
  });
});

describe('ResolveDispute', () => {
  it('won gives the reversed lines back; the fee stays charged', () => {
    const { events, state } = run([...receipt, openDispute('d-1', 'r-1', '1000.00', '2026-02-01T00:00:00Z'), resolveDispute('d-1', 'won', '2026-03-01T00:00:00Z')]);
    const resolved = events[events.length - 1]!;
    expect(resolved).toEqual({
      type: 'DisputeResolved',
      data: {
        disputeId: 'd-1', receiptId: 'r-1', appId: 'app-1', developerId: DEVELOPER_ID, currency: 'USD', amountMinor: 100000n, outcome: 'won',
        resolvedAt: '2026-03-01T00:00:00.000Z', lines: [{ party: 'platform', amountMinor: 7500n }, { party: DEVELOPER_PARTY, amountMinor: 92500n }],
      },
    });
    expect(availableBalanceMinor(state, 'USD', AFTER)).toBe(185000n - 1500n);
    // The whole receipt can be refunded again.
    given(events).when(refundRevenue('f-1', 'r-1', '2000.00', '2026-03-02T00:00:00Z')).thenEvents();
  });

  it('lost makes the reversal final', () => {
    const { events, state } = run([...receipt, openDispute('d-1', 'r-1', '1000.00', '2026-02-01T00:00:00Z'), resolveDispute('d-1', 'lost', '2026-03-01T00:00:00Z')]);
    expect(availableBalanceMinor(state, 'USD', AFTER)).toBe(185000n - 92500n - 1500n);
    given(events).when(refundRevenue('f-1', 'r-1', '1000.01', '2026-03-02T00:00:00Z')).thenRefused('refund_exceeds_remaining');
    // A payout of more than is left is refused.
    given(events).when(requestPayout('p-1', '910.01', '2026-06-01T00:00:00Z')).thenRefused('payout_above_available');
  });

  it('is idempotent when identical; a second outcome is refused', () => {
    const won = history([...receipt, openDispute('d-1', 'r-1', '1000.00', '2026-02-01T00:00:00Z'), resolveDispute('d-1', 'won', '2026-03-01T00:00:00Z')]);
    given(won).when(resolveDispute('d-1', 'won', '2026-03-01T00:00:00Z')).then([]);
    given(won).when(resolveDispute('d-1', 'lost', '2026-03-01T00:00:00Z')).thenRefused('dispute_not_open', 'conflict');
  });

  it('refuses an unknown dispute, an unknown outcome, a resolution before the opening', () => {
    given(opened).when(resolveDispute('d-9', 'won', '2026-03-01T00:00:00Z')).thenRefused('unknown_dispute', 'not_found', 'disputeId');
    given(opened).when({ type: 'ResolveDispute', data: { disputeId: 'd-1', outcome: 'draw', resolvedAt: '2026-03-01T00:00:00Z' } })
      .thenRefused('field_invalid', 'invalid', 'outcome');
    given(opened).when(resolveDispute('d-1', 'won', '2026-01-31T00:00:00Z')).thenRefused('dispute_resolved_before_opened', 'invalid', 'resolvedAt');
  });
});

describe('disputeFeeBearer in the contract terms', () => {
  // Hashes of contracts as recorded before disputeFeeBearer existed: old ledgers must still verify.
  it('leaves the hash of a contract that omits it (or names the default) unchanged', () => {
    const recordedBefore = '9c0aea141489d831908b65183f7bbf93d13842415c0c30a624a10e3457130771';
    expect(contractHash(parseContractTerms(contractTerms()))).toBe(recordedBefore);
    expect(contractHash(parseContractTerms(contractTerms({ disputeFeeBearer: 'developer' })))).toBe(recordedBefore);
    const withCarveOutsAndCap = contractTerms({
      carveOuts: [{ party: 'provider:acme', rate: '10%', of: 'platform' }], platformCap: { amount: '500.00', window: 'calendar_year' },
    });
    expect(contractHash(parseContractTerms(withCarveOutsAndCap))).toBe('e294e52c5464c46bd65dcb252390dc9841bf8730b92bf3c36ae8de11e5d93586');
  });

  it('hashes a platform bearer differently and refuses an unknown bearer', () => {
    expect(contractHash(parseContractTerms(contractTerms({ disputeFeeBearer: 'platform' })))).not.toBe(contractHash(parseContractTerms(contractTerms())));
    expect(() => parseContractTerms(contractTerms({ disputeFeeBearer: 'provider' }))).toThrow(/disputeFeeBearer/);
  });
});

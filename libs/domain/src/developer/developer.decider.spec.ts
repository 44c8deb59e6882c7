import { parseContractTerms } from '../contract/contract-terms.parser';
import { contractVersionRecord } from '../contract/contract-version.selector';
import { DeveloperCommand } from '../ledger.commands';
import { InvariantViolation } from '../domain.errors';
import { REASON_LENGTH_MAXIMUM } from '../limits/ledger-limits';
import type { NameProtection } from './personal-data';
import { DeveloperEvent, SPLIT_RULE_VERSION } from '../ledger.events';
import {
  BOOKED_AT, DEVELOPER_ID, DEVELOPER_PARTY, amendContract, contractTerms, failPayout, given, history, recordRevenue,
  protectedNameFixture, refundRevenue, registerApp, registerDeveloper, requestPayout, settlePayout,
} from '../testing/developer-decider.support';
import { decideDeveloper } from './developer.decider';
import { developerStateFrom, initialDeveloperState } from './developer.state';

const version1 = contractVersionRecord(1, parseContractTerms(contractTerms()));
const amendedTerms = contractTerms({ effectiveFrom: '2026-03-01T00:00:00Z', holdDays: 7 });
const version2 = contractVersionRecord(2, parseContractTerms(amendedTerms));

const registered = history([registerDeveloper()]);
const withApp = history([registerDeveloper(), registerApp('app-1')]);
// 2000.00 on a contract with 0% up to 1000.00 and 15% above: platform 150.00.
const withReceipt = history([registerDeveloper(), registerApp('app-1'), recordRevenue('r-1', 'app-1', '2000.00', '2026-01-10T00:00:00Z')]);
// Credits available from 2026-01-24 (14 hold days): developer line 185000 minor units.
const withPayout = history([
  registerDeveloper(), registerApp('app-1'), recordRevenue('r-1', 'app-1', '2000.00', '2026-01-10T00:00:00Z'),
  requestPayout('p-1', '100.00', '2026-02-01T00:00:00Z'),
]);

const revenueRecorded = (data: Partial<Extract<DeveloperEvent, { type: 'RevenueRecorded' }>['data']> = {}): DeveloperEvent => ({
  type: 'RevenueRecorded',
  data: {
    receiptId: 'r-1', appId: 'app-1', developerId: DEVELOPER_ID, currency: 'USD', amountMinor: 200000n,
    occurredAt: '2026-01-10T00:00:00.000Z', category: 'purchase', contractVersion: 1, contractHash: version1.hash, splitRuleVersion: SPLIT_RULE_VERSION,
    lines: [{ party: 'platform', amountMinor: 15000n }, { party: DEVELOPER_PARTY, amountMinor: 185000n }],
    availableAt: '2026-01-24T00:00:00.000Z',
    ...data,
  },
});

describe('RegisterDeveloper', () => {
  it('registers', () => {
    given([]).when(registerDeveloper()).then([{
      type: 'DeveloperRegistered', data: { developerId: DEVELOPER_ID, name: protectedNameFixture('Ada Labs'), country: 'NG', incomeGroup: 'lower-middle' },
    }]);
  });
  it('defaults incomeGroup to null', () => {
    const events = given([]).when({ type: 'RegisterDeveloper', data: { developerId: 'd', name: 'N', country: 'KE' } }).thenEvents();
    expect(events[0]!.data).toEqual({ developerId: 'd', name: protectedNameFixture('N'), country: 'KE', incomeGroup: null });
  });
  it('is idempotent when identical', () => given(registered).when(registerDeveloper()).then([]));
  it('refuses different details', () => {
    given(registered).when({ type: 'RegisterDeveloper', data: { developerId: DEVELOPER_ID, name: 'Other', country: 'NG' } })
      .thenRefused('developer_already_registered', 'conflict');
  });
  it('refuses a malformed id', () => {
    given([]).when({ type: 'RegisterDeveloper', data: { developerId: 'a b', name: 'N', country: 'NG' } }).thenRefused('field_invalid', 'invalid', 'developerId');
  });
  it('refuses a missing name', () => {
    given([]).when({ type: 'RegisterDeveloper', data: { developerId: 'd', name: '', country: 'NG' } }).thenRefused('field_invalid', 'invalid', 'name');
  });
});

describe('personal data: the protected name and its erasure', () => {
  const register = (name: string, nameProtection?: NameProtection): DeveloperCommand => ({
    type: 'RegisterDeveloper', data: { developerId: DEVELOPER_ID, name, country: 'NG', incomeGroup: 'lower-middle', ...(nameProtection ? { nameProtection } : {}) },
  });
  const erase = (reason: string | null = 'request 42'): DeveloperCommand => ({ type: 'ErasePersonalData', data: { developerId: DEVELOPER_ID, reason } });
  const erased = [...registered, { type: 'PersonalDataErased', data: { developerId: DEVELOPER_ID, erasedAt: BOOKED_AT, reason: 'request 42' } } as DeveloperEvent];

  it('records only the protected name, never the plaintext', () => {
    const events = given([]).when(register('Ada Labs')).thenEvents();
    expect(JSON.stringify(events)).not.toContain('Ada Labs');
  });
  it('refuses to decide a registration whose name the application layer did not protect', () => {
    expect(() => decideDeveloper(register('Ada Labs'), initialDeveloperState(), { bookedAt: BOOKED_AT })).toThrow(InvariantViolation);
  });
  it('recognises a re-sent registration by its commitment, though its ciphertext differs', () => {
    const otherCiphertext = { ...protectedNameFixture('Ada Labs'), ciphertext: 'b'.repeat(64) };
    given(registered).when(register('Ada Labs', { kind: 'protected', name: otherCiphertext })).then([]);
    given(registered).when(register('Ada Labs', { kind: 'protected', name: protectedNameFixture('Ada Labz') })).thenRefused('developer_already_registered', 'conflict');
  });
  it('compares a name recorded before protection as plaintext', () => {
    const legacy: DeveloperEvent[] = [{ type: 'DeveloperRegistered', data: { developerId: DEVELOPER_ID, name: 'Ada Labs', country: 'NG', incomeGroup: 'lower-middle' } }];
    given(legacy).when(register('Ada Labs')).then([]);
    given(legacy).when(register('Someone Else')).thenRefused('developer_already_registered', 'conflict');
  });
  it('records an erasure at the booking time, once', () => {
    given(registered).when(erase()).then([{ type: 'PersonalDataErased', data: { developerId: DEVELOPER_ID, erasedAt: BOOKED_AT, reason: 'request 42' } }]);
    given(erased).when(erase('another reason')).then([]);
    given(registered).when(erase(null)).then([{ type: 'PersonalDataErased', data: { developerId: DEVELOPER_ID, erasedAt: BOOKED_AT, reason: null } }]);
  });
  it('refuses to erase a developer who is not registered, and a reason beyond its limit', () => {
    given([]).when(erase()).thenRefused('developer_not_registered', 'not_found');
    given(registered).when(erase('r'.repeat(REASON_LENGTH_MAXIMUM + 1))).thenRefused('field_invalid', 'invalid', 'reason');
  });
  it('after an erasure, takes a re-sent registration as recorded without comparing or recording the name', () => {
    given(erased).when(register('Ada Labs', { kind: 'erased' })).then([]);
    given(erased).when(register('Anything', { kind: 'erased' })).then([]);
    given(erased).when({ type: 'RegisterDeveloper', data: { developerId: DEVELOPER_ID, name: 'Ada Labs', country: 'KE', nameProtection: { kind: 'erased' } } })
      .thenRefused('developer_already_registered', 'conflict');
  });
  it('refuses to record a name whose data key was destroyed', () => {
    given([]).when(register('Ada Labs', { kind: 'erased' })).thenRefused('personal_data_erased', 'conflict', 'name');
  });
  it('leaves every balance and split as it was', () => {
    const before = history([registerDeveloper(), registerApp('app-1'), recordRevenue('r-1', 'app-1', '2000.00', '2026-01-10T00:00:00Z')]);
    const state = developerStateFrom(before);
    const after = developerStateFrom([...before, { type: 'PersonalDataErased', data: { developerId: DEVELOPER_ID, erasedAt: BOOKED_AT, reason: null } }]);
    expect(after.balances).toEqual(state.balances);
    expect(after.receipts).toEqual(state.receipts);
    expect(after.registration!.personalDataErasedAt).toBe(BOOKED_AT);
  });
});

describe('RegisterApp', () => {
  it('registers version 1 of the contract', () => {
    given(registered).when(registerApp('app-1')).then([{
      type: 'AppRegistered', data: { appId: 'app-1', developerId: DEVELOPER_ID, name: 'App app-1', contract: version1 },
    }]);
  });
  it('is idempotent when identical (even with another spelling of the same terms)', () => {
    given(withApp).when(registerApp('app-1', contractTerms({ holdDays: '14', rateMultiplier: '100%' }))).then([]);
  });
  it('refuses other terms for an existing app', () => {
    given(withApp).when(registerApp('app-1', contractTerms({ holdDays: 1 }))).thenRefused('app_already_registered', 'conflict', 'appId');
  });
  it('refuses an unregistered developer', () => {
    given([]).when(registerApp('app-1')).thenRefused('developer_not_registered', 'not_found');
  });
  it('refuses another developer than the stream\'s', () => {
    given(registered).when(registerApp('app-1', contractTerms(), 'dev-2')).thenRefused('developer_not_registered', 'not_found');
  });
  it('refuses an invalid contract with the field path', () => {
    given(registered).when(registerApp('app-1', contractTerms({ platformShare: { tiers: [{ upTo: '1.00', rate: '1%' }, { rate: 'x' }], window: 'lifetime', scope: 'app' } })))
      .thenRefused('rate_malformed', 'invalid', 'contract.platformShare.tiers[1].rate');
  });
  it('refuses a contract over 100%', () => {
    given(registered).when(registerApp('app-1', contractTerms({
      platformShare: { tiers: [{ rate: '95%' }], window: 'lifetime', scope: 'app' },
      carveOuts: [{ party: 'referrer:x', rate: '6%', of: 'basis' }],
    }))).thenRefused('contract_over_hundred_percent', 'invalid', 'contract');
  });
});

describe('AmendContract', () => {
  it('adds version 2', () => {
    given(withApp).when(amendContract('app-1', amendedTerms)).then([{
      type: 'ContractAmended', data: { appId: 'app-1', developerId: DEVELOPER_ID, contract: version2 },
    }]);
  });
  it('is idempotent when the identical terms are the latest version', () => {
    given([...withApp, ...history([]), { type: 'ContractAmended', data: { appId: 'app-1', developerId: DEVELOPER_ID, contract: version2 } }])
      .when(amendContract('app-1', amendedTerms)).then([]);
  });
  it('is idempotent when the identical terms are an earlier version, not the latest', () => {
    const version3Terms = contractTerms({ effectiveFrom: '2026-05-01T00:00:00Z', holdDays: 3 });
    const withTwoAmendments = [
      ...withApp,
      { type: 'ContractAmended', data: { appId: 'app-1', developerId: DEVELOPER_ID, contract: version2 } },
      { type: 'ContractAmended', data: { appId: 'app-1', developerId: DEVELOPER_ID, contract: contractVersionRecord(3, parseContractTerms(version3Terms)) } },
    ] as const;
    given([...withTwoAmendments]).when(amendContract('app-1', amendedTerms)).then([]);
    given([...withTwoAmendments]).when(amendContract('app-1', version3Terms)).then([]);
  });
  it('refuses an earlier effectiveFrom with other terms than that version had', () => {
    given([...withApp, { type: 'ContractAmended', data: { appId: 'app-1', developerId: DEVELOPER_ID, contract: version2 } }])
      .when(amendContract('app-1', contractTerms({ effectiveFrom: '2026-03-01T00:00:00Z', holdDays: 8 })))
      .thenRefused('amendment_not_after_previous_version', 'conflict', 'contract.effectiveFrom');
  });
  it('refuses an unknown app', () => given(withApp).when(amendContract('app-9', amendedTerms)).thenRefused('unknown_app', 'not_found', 'appId'));
  it('refuses an unregistered developer', () => given([]).when(amendContract('app-1', amendedTerms)).thenRefused('developer_not_registered', 'not_found'));
  it('refuses effectiveFrom not after the previous version', () => {
    given(withApp).when(amendContract('app-1', contractTerms({ holdDays: 3 })))
      .thenRefused('amendment_not_after_previous_version', 'conflict', 'contract.effectiveFrom');
  });
  it('refuses effectiveFrom not after a recorded receipt', () => {
    given(withReceipt).when(amendContract('app-1', contractTerms({ effectiveFrom: '2026-01-10T00:00:00Z', holdDays: 3 })))
      .thenRefused('amendment_not_after_recorded_receipt', 'conflict', 'contract.effectiveFrom');
  });
  it('accepts effectiveFrom one millisecond after the latest receipt', () => {
    const events = given(withReceipt).when(amendContract('app-1', contractTerms({ effectiveFrom: '2026-01-10T00:00:00.001Z', holdDays: 3 }))).thenEvents();
    expect(events).toHaveLength(1);
  });
  it('refuses a currency change', () => {
    given(withApp).when(amendContract('app-1', contractTerms({ currency: 'EUR', effectiveFrom: '2026-03-01T00:00:00Z' })))
      .thenRefused('contract_currency_change', 'conflict', 'contract.currency');
  });
  it('refuses an invalid contract', () => {
    given(withApp).when(amendContract('app-1', { ...amendedTerms, unknown: 1 })).thenRefused('contract_invalid', 'invalid', 'contract.unknown');
  });
});

describe('RecordRevenue', () => {
  it('splits by the contract and records version, hash, rule version and availableAt', () => {
    given(withApp).when(recordRevenue('r-1', 'app-1', '2000.00', '2026-01-10T00:00:00Z')).then([revenueRecorded()]);
  });
  it('is idempotent by receiptId with the same content (other spelling of the same instant)', () => {
    given(withReceipt).when(recordRevenue('r-1', 'app-1', '2000', '2026-01-10T01:00:00+01:00')).then([]);
  });
  it('refuses the same receiptId with other content', () => {
    given(withReceipt).when(recordRevenue('r-1', 'app-1', '2000.01', '2026-01-10T00:00:00Z')).thenRefused('duplicate_receipt', 'conflict', 'receiptId');
  });
  it('refuses an unknown app', () => {
    given(withApp).when(recordRevenue('r-1', 'app-9', '1.00', '2026-01-10T00:00:00Z')).thenRefused('unknown_app', 'not_found', 'appId');
  });
  it('refuses an unregistered developer', () => {
    given([]).when(recordRevenue('r-1', 'app-1', '1.00', '2026-01-10T00:00:00Z')).thenRefused('developer_not_registered', 'not_found');
  });
  it('refuses a currency other than the contract\'s', () => {
    given(withApp).when(recordRevenue('r-1', 'app-1', '1.00', '2026-01-10T00:00:00Z', 'EUR')).thenRefused('currency_mismatch', 'invalid', 'currency');
  });
  it('refuses an unknown currency', () => {
    given(withApp).when(recordRevenue('r-1', 'app-1', '1.00', '2026-01-10T00:00:00Z', 'XXY')).thenRefused('unknown_currency', 'invalid', 'currency');
  });
  it('refuses a receipt before the first contract version', () => {
    given(withApp).when(recordRevenue('r-1', 'app-1', '1.00', '2025-12-31T23:59:59Z')).thenRefused('receipt_before_first_contract_version', 'invalid', 'occurredAt');
  });
  it.each([
    ['19.999', 'amount_too_many_decimals'],
    ['-1.00', 'amount_negative'],
    ['0.00', 'amount_zero'],
    ['1e2', 'amount_malformed'],
    ['99999999999999.00', 'amount_above_maximum'],
  ])('refuses amount %s with %s', (amount, code) => {
    given(withApp).when(recordRevenue('r-1', 'app-1', amount, '2026-01-10T00:00:00Z')).thenRefused(code, 'invalid', 'amount');
  });
  it('refuses a JSON number amount', () => {
    given(withApp).when({ type: 'RecordRevenue', data: { receiptId: 'r-1', appId: 'app-1', amount: 19.99, currency: 'USD', occurredAt: '2026-01-10T00:00:00Z' } } as unknown as DeveloperCommand)
      .thenRefused('amount_not_a_string', 'invalid', 'amount');
  });
  it('refuses a malformed instant', () => {
    given(withApp).when(recordRevenue('r-1', 'app-1', '1.00', '2026-02-30T00:00:00Z')).thenRefused('instant_malformed', 'invalid', 'occurredAt');
  });
});

describe('RefundRevenue', () => {
  it('reverses proportionally under the receipt\'s contract version', () => {
    given(withReceipt).when(refundRevenue('f-1', 'r-1', '20.00', '2026-01-11T00:00:00Z')).then([{
      type: 'RevenueRefunded',
      data: {
        refundId: 'f-1', receiptId: 'r-1', appId: 'app-1', developerId: DEVELOPER_ID, currency: 'USD', amountMinor: 2000n,
        occurredAt: '2026-01-11T00:00:00.000Z', category: 'purchase', contractVersion: 1, contractHash: version1.hash, splitRuleVersion: SPLIT_RULE_VERSION,
        lines: [{ party: 'platform', amountMinor: 150n }, { party: DEVELOPER_PARTY, amountMinor: 1850n }],
      },
    }]);
  });
  const refunded = [...withReceipt, ...[decideDeveloper(refundRevenue('f-1', 'r-1', '20.00', '2026-01-11T00:00:00Z'), developerStateFrom(withReceipt), { bookedAt: BOOKED_AT })].flat()];
  it('is idempotent by refundId', () => given(refunded).when(refundRevenue('f-1', 'r-1', '20', '2026-01-11T00:00:00Z')).then([]));
  it('refuses the same refundId with other content', () => {
    given(refunded).when(refundRevenue('f-1', 'r-1', '21.00', '2026-01-11T00:00:00Z')).thenRefused('duplicate_refund', 'conflict', 'refundId');
  });
  it('refuses an unknown receipt', () => {
    given(withReceipt).when(refundRevenue('f-1', 'r-9', '1.00', '2026-01-11T00:00:00Z')).thenRefused('unknown_receipt', 'not_found', 'receiptId');
  });
  it('refuses more than remains', () => {
    given(refunded).when(refundRevenue('f-2', 'r-1', '1980.01', '2026-01-12T00:00:00Z')).thenRefused('refund_exceeds_remaining', 'conflict', 'amount');
  });
  it('accepts exactly what remains', () => {
    expect(given(refunded).when(refundRevenue('f-2', 'r-1', '1980.00', '2026-01-12T00:00:00Z')).thenEvents()).toHaveLength(1);
  });
  it('refuses a refund before the receipt', () => {
    given(withReceipt).when(refundRevenue('f-1', 'r-1', '1.00', '2026-01-09T23:59:59Z')).thenRefused('refund_before_receipt', 'invalid', 'occurredAt');
  });
  it('refuses a zero refund', () => {
    given(withReceipt).when(refundRevenue('f-1', 'r-1', '0.00', '2026-01-11T00:00:00Z')).thenRefused('amount_zero', 'invalid', 'amount');
  });
  it('refuses an unregistered developer', () => {
    given([]).when(refundRevenue('f-1', 'r-1', '1.00', '2026-01-11T00:00:00Z')).thenRefused('developer_not_registered', 'not_found');
  });
});

describe('RequestPayout', () => {
  it('requests a payout within the available balance', () => {
    given(withReceipt).when(requestPayout('p-1', '1850.00', '2026-01-24T00:00:00Z')).then([{
      type: 'PayoutRequested', data: { payoutId: 'p-1', developerId: DEVELOPER_ID, currency: 'USD', amountMinor: 185000n, requestedAt: '2026-01-24T00:00:00.000Z' },
    }]);
  });
  it('refuses credits still pending', () => {
    given(withReceipt).when(requestPayout('p-1', '50.00', '2026-01-23T23:59:59.999Z')).thenRefused('payout_above_available', 'conflict', 'amount');
  });
  it('refuses above available', () => {
    given(withReceipt).when(requestPayout('p-1', '1850.01', '2026-02-01T00:00:00Z')).thenRefused('payout_above_available', 'conflict', 'amount');
  });
  it('refuses below the minimum payout', () => {
    given(withReceipt).when(requestPayout('p-1', '49.99', '2026-02-01T00:00:00Z')).thenRefused('payout_below_minimum', 'invalid', 'amount');
  });
  it('is idempotent by payoutId', () => given(withPayout).when(requestPayout('p-1', '100.00', '2026-02-01T00:00:00Z')).then([]));
  it('refuses the same payoutId with other content', () => {
    given(withPayout).when(requestPayout('p-1', '100.01', '2026-02-01T00:00:00Z')).thenRefused('duplicate_payout', 'conflict', 'payoutId');
  });
  it('counts earlier payouts', () => {
    given(withPayout).when(requestPayout('p-2', '1750.01', '2026-02-02T00:00:00Z')).thenRefused('payout_above_available', 'conflict');
    expect(given(withPayout).when(requestPayout('p-2', '1750.00', '2026-02-02T00:00:00Z')).thenEvents()).toHaveLength(1);
  });
  it('refuses another developer', () => {
    given(withReceipt).when(requestPayout('p-1', '100.00', '2026-02-01T00:00:00Z', 'USD', 'dev-2')).thenRefused('developer_not_registered', 'not_found');
  });
  it('refuses a currency without balance', () => {
    given(withReceipt).when(requestPayout('p-1', '100.00', '2026-02-01T00:00:00Z', 'EUR')).thenRefused('payout_above_available', 'conflict');
  });
});

describe('SettlePayout and FailPayout', () => {
  it('settles a pending payout', () => {
    given(withPayout).when(settlePayout('p-1', '2026-02-03T00:00:00Z')).then([{
      type: 'PayoutSettled',
      data: { payoutId: 'p-1', developerId: DEVELOPER_ID, currency: 'USD', amountMinor: 10000n, settledAt: '2026-02-03T00:00:00.000Z', reference: 'bank-ref-1' },
    }]);
  });
  it('fails a pending payout', () => {
    given(withPayout).when(failPayout('p-1', '2026-02-03T00:00:00Z')).then([{
      type: 'PayoutFailed',
      data: { payoutId: 'p-1', developerId: DEVELOPER_ID, currency: 'USD', amountMinor: 10000n, failedAt: '2026-02-03T00:00:00.000Z', reason: 'account closed' },
    }]);
  });
  const settled = history([registerDeveloper(), registerApp('app-1'), recordRevenue('r-1', 'app-1', '2000.00', '2026-01-10T00:00:00Z'),
    requestPayout('p-1', '100.00', '2026-02-01T00:00:00Z'), settlePayout('p-1', '2026-02-03T00:00:00Z')]);
  const failed = history([registerDeveloper(), registerApp('app-1'), recordRevenue('r-1', 'app-1', '2000.00', '2026-01-10T00:00:00Z'),
    requestPayout('p-1', '100.00', '2026-02-01T00:00:00Z'), failPayout('p-1', '2026-02-03T00:00:00Z')]);
  it('is idempotent for the same settlement', () => given(settled).when(settlePayout('p-1', '2026-02-03T00:00:00Z')).then([]));
  it('is idempotent for the same failure', () => given(failed).when(failPayout('p-1', '2026-02-03T00:00:00Z')).then([]));
  it('refuses to settle a settled payout differently', () => {
    given(settled).when(settlePayout('p-1', '2026-02-04T00:00:00Z')).thenRefused('payout_not_pending', 'conflict', 'payoutId');
  });
  it('refuses to fail a settled payout', () => given(settled).when(failPayout('p-1', '2026-02-04T00:00:00Z')).thenRefused('payout_not_pending', 'conflict'));
  it('refuses to settle a failed payout', () => given(failed).when(settlePayout('p-1', '2026-02-04T00:00:00Z')).thenRefused('payout_not_pending', 'conflict'));
  it('refuses an unknown payout', () => {
    given(withPayout).when(settlePayout('p-9', '2026-02-03T00:00:00Z')).thenRefused('unknown_payout', 'not_found', 'payoutId');
    given(withPayout).when(failPayout('p-9', '2026-02-03T00:00:00Z')).thenRefused('unknown_payout', 'not_found', 'payoutId');
  });
  it('refuses a missing reference', () => {
    given(withPayout).when(settlePayout('p-1', '2026-02-03T00:00:00Z', '')).thenRefused('field_invalid', 'invalid', 'reference');
  });
  it('credits a failed payout back', () => {
    expect(given(failed).when(requestPayout('p-2', '1850.00', '2026-02-05T00:00:00Z')).thenEvents()).toHaveLength(1);
  });
});

describe('decideDeveloper', () => {
  it('refuses an unknown command type', () => {
    given([]).when({ type: 'Launch', data: {} } as unknown as DeveloperCommand).thenRefused('command_unknown', 'invalid');
  });
  it('refuses missing data', () => {
    given(registered).when({ type: 'RecordRevenue' } as unknown as DeveloperCommand).thenRefused('field_invalid', 'invalid', 'data');
  });
  it('does not mutate the state it decides on', () => {
    const state = developerStateFrom(withReceipt);
    const before = JSON.stringify([...state.receipts.values()], (_, value) => (typeof value === 'bigint' ? `${value}n` : value));
    decideDeveloper(refundRevenue('f-1', 'r-1', '20.00', '2026-01-11T00:00:00Z'), state, { bookedAt: BOOKED_AT });
    decideDeveloper(recordRevenue('r-2', 'app-1', '20.00', '2026-01-11T00:00:00Z'), state, { bookedAt: BOOKED_AT });
    expect(JSON.stringify([...state.receipts.values()], (_, value) => (typeof value === 'bigint' ? `${value}n` : value))).toBe(before);
    expect(state.tierCounters.get('app:app-1|USD|lifetime')).toBe(200000n);
  });
  it('starts from an empty state', () => {
    expect(initialDeveloperState().registration).toBeNull();
  });
});

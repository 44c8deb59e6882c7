import { DomainError } from '../domain.errors';
import { DeveloperEvent } from '../ledger.events';
import {
  amendContract, contractTerms, failPayout, history, recordRevenue, refundRevenue, registerApp, registerDeveloper,
  requestPayout, settlePayout, openDispute, resolveDispute,
} from '../testing/developer-decider.support';
import { decodeDeveloperEvent, encodeDeveloperEvent } from './ledger-event.codec';

const carveOutContract = contractTerms({
  rateMultiplier: '50%',
  platformCap: { amount: '5000.00', window: 'calendar_month' },
  carveOuts: [{ party: 'provider:acme-models', rate: '30%', of: 'platform' }, { party: 'referrer:lagos-hub', rate: '1%', of: 'basis' }],
  platformShare: { tiers: [{ upTo: '10.00', rate: '0%' }, { rate: '15%' }], window: 'calendar_year', scope: 'developer' },
});

const allEvents: DeveloperEvent[] = history([
  registerDeveloper(),
  { type: 'RegisterDeveloper', data: { developerId: 'dev-1', name: 'Ada Labs', country: 'NG', incomeGroup: 'lower-middle' } },
  registerApp('app-1', carveOutContract),
  amendContract('app-1', { ...carveOutContract, effectiveFrom: '2026-06-01T00:00:00Z' }),
  recordRevenue('r-1', 'app-1', '1234.56', '2026-01-10T00:00:00Z'),
  refundRevenue('f-1', 'r-1', '34.56', '2026-01-11T00:00:00Z'),
  requestPayout('p-1', '100.00', '2026-03-01T00:00:00Z'),
  requestPayout('p-2', '100.00', '2026-03-01T00:00:00Z'),
  settlePayout('p-1', '2026-03-02T00:00:00Z'),
  failPayout('p-2', '2026-03-02T00:00:00Z'),
  openDispute('d-1', 'r-1', '200.00', '2026-03-03T00:00:00Z'),
  openDispute('d-2', 'r-1', '100.00', '2026-03-03T00:00:00Z', '0'),
  resolveDispute('d-1', 'won', '2026-03-10T00:00:00Z'),
  resolveDispute('d-2', 'lost', '2026-03-10T00:00:00Z'),
  { type: 'AssessRunPayout', data: { runId: 'run-1', developerId: 'dev-1', currency: 'USD', asOf: '2026-04-01T00:00:00Z' } },
  { type: 'ErasePersonalData', data: { developerId: 'dev-1', reason: 'erasure request 7' } },
]);

function refusal(type: string, data: unknown): string {
  try {
    decodeDeveloperEvent(type, data);
  } catch (error) {
    if (error instanceof DomainError) return `${error.code} ${error.field}`;
    throw error;
  }
  return 'accepted';
}

describe('developer event codec', () => {
  it('covers every event type', () => {
    expect(new Set(allEvents.map((event) => event.type))).toEqual(new Set([
      'DeveloperRegistered', 'AppRegistered', 'ContractAmended', 'RevenueRecorded', 'RevenueRefunded', 'PayoutRequested', 'PayoutSettled', 'PayoutFailed',
      'PersonalDataErased', 'DisputeOpened', 'DisputeResolved', 'PayoutRunAssessed',
    ]));
  });

  it('decodes a name recorded in plaintext before protection, and re-encodes it unchanged', () => {
    const legacy = { developerId: 'dev-1', name: 'Ada Labs', country: 'NG', incomeGroup: null };
    expect(encodeDeveloperEvent(decodeDeveloperEvent('DeveloperRegistered', legacy)).data).toEqual(legacy);
  });

  it('refuses a protected name of another shape', () => {
    const registeredData = encodeDeveloperEvent(allEvents[0]!).data as Record<string, unknown> & { name: Record<string, unknown> };
    const withName = (name: unknown) => ({ ...registeredData, name });
    expect(refusal('DeveloperRegistered', withName({ ...registeredData.name, scheme: 'rot13' }))).toBe('event_malformed name');
    expect(refusal('DeveloperRegistered', withName({ ...registeredData.name, commitment: 'ab' }))).toBe('event_malformed name');
    expect(refusal('DeveloperRegistered', withName({ ...registeredData.name, ciphertext: 'not base64url!' }))).toBe('event_malformed name');
    expect(refusal('DeveloperRegistered', withName({ ...registeredData.name, extra: 1 }))).toBe('event_malformed name');
    expect(refusal('DeveloperRegistered', withName(7))).toBe('event_malformed name');
    expect(refusal('PersonalDataErased', { developerId: 'dev-1', erasedAt: '2026-13-01', reason: null })).toBe('event_malformed erasedAt');
  });

  it.each(allEvents.map((event) => [event.type, event] as const))('round-trips %s through JSON', (_, event) => {
    const encoded = encodeDeveloperEvent(event);
    const stored = JSON.parse(JSON.stringify(encoded.data)) as unknown;
    expect(decodeDeveloperEvent(encoded.type, stored)).toEqual(event);
    expect(encodeDeveloperEvent(decodeDeveloperEvent(encoded.type, stored))).toEqual(encoded);
  });

  // 1224.56 above the 0% tier × 15% × 50% = 91.842 → P = 91.84; 30% of it to the provider floors to 27.55; 1% of the basis is 12.34.
  it('encodes amounts as strings of minor units', () => {
    const recorded = encodeDeveloperEvent(allEvents.find((event) => event.type === 'RevenueRecorded')!);
    expect(recorded.data.amountMinor).toBe('123456');
    expect(recorded.data.lines).toEqual([
      { party: 'platform', amountMinor: '6429' },
      { party: 'provider:acme-models', amountMinor: '2755' },
      { party: 'referrer:lagos-hub', amountMinor: '1234' },
      { party: 'developer:dev-1', amountMinor: '113038' },
    ]);
  });

  const recorded = encodeDeveloperEvent(allEvents.find((event) => event.type === 'RevenueRecorded')!).data;
  const registered = encodeDeveloperEvent(allEvents.find((event) => event.type === 'AppRegistered')!).data;

  it.each([
    ['a number amount', { ...recorded, amountMinor: 123456 }, 'event_malformed amountMinor'],
    ['a decimal amount', { ...recorded, amountMinor: '1234.56' }, 'event_malformed amountMinor'],
    ['a zero amount', { ...recorded, amountMinor: '0' }, 'event_malformed amountMinor'],
    ['lines not summing', { ...recorded, amountMinor: '123457' }, 'event_malformed lines'],
    ['a negative line', { ...recorded, lines: [{ party: 'platform', amountMinor: '-1' }, { party: 'developer:dev-1', amountMinor: '123457' }] }, 'event_malformed lines[0].amountMinor'],
    ['a wrong developer line', { ...recorded, lines: [{ party: 'platform', amountMinor: '0' }, { party: 'developer:dev-2', amountMinor: '123456' }] }, 'event_malformed lines'],
    ['an unnormalised instant', { ...recorded, occurredAt: '2026-01-10T00:00:00Z' }, 'event_malformed occurredAt'],
    ['an unknown currency', { ...recorded, currency: 'ABC' }, 'event_malformed currency'],
    ['a bad hash', { ...recorded, contractHash: 'xyz' }, 'event_malformed contractHash'],
    ['a future split rule', { ...recorded, splitRuleVersion: 99 }, 'event_malformed splitRuleVersion'],
    ['a missing receipt id', { ...recorded, receiptId: undefined }, 'event_malformed receiptId'],
  ])('refuses RevenueRecorded with %s', (_, data, expected) => {
    expect(refusal('RevenueRecorded', data)).toBe(expected);
  });

  it('refuses a contract whose hash does not match its terms', () => {
    const contract = registered.contract as Record<string, unknown>;
    expect(refusal('AppRegistered', { ...registered, contract: { ...contract, hash: 'a'.repeat(64) } })).toBe('event_malformed contract.hash');
    const terms = contract.terms as Record<string, unknown>;
    expect(refusal('AppRegistered', { ...registered, contract: { ...contract, terms: { ...terms, holdDays: 'x' } } })).toBe('event_malformed contract.terms');
  });

  it('refuses unknown types and non-objects', () => {
    expect(refusal('SomethingElse', {})).toBe('event_malformed type');
    expect(refusal('PayoutRequested', null)).toBe('event_malformed data');
  });
  it('refuses a dispute with an unknown fee bearer or outcome, or a negative fee', () => {
    const opened = encodeDeveloperEvent(allEvents.find((event) => event.type === 'DisputeOpened')!).data;
    const resolved = encodeDeveloperEvent(allEvents.find((event) => event.type === 'DisputeResolved')!).data;
    expect(opened.feeMinor).toBe('1500');
    expect(refusal('DisputeOpened', { ...opened, feeBearer: 'provider' })).toBe('event_malformed feeBearer');
    expect(refusal('DisputeOpened', { ...opened, feeMinor: '-1' })).toBe('event_malformed feeMinor');
    expect(refusal('DisputeOpened', { ...opened, amountMinor: '1' })).toBe('event_malformed lines');
    expect(refusal('DisputeResolved', { ...resolved, outcome: 'draw' })).toBe('event_malformed outcome');
  });
  it('reads a payout run assessment\'s available amount signed, and refuses one that is not a string of minor units', () => {
    const assessed = encodeDeveloperEvent(allEvents.find((event) => event.type === 'PayoutRunAssessed')!).data;
    const negative = { ...assessed, availableMinor: '-1500', payoutId: null };
    expect(encodeDeveloperEvent(decodeDeveloperEvent('PayoutRunAssessed', negative)).data).toEqual(negative);
    expect(refusal('PayoutRunAssessed', { ...assessed, availableMinor: '-0' })).toBe('event_malformed availableMinor');
    expect(refusal('PayoutRunAssessed', { ...assessed, availableMinor: 15 })).toBe('event_malformed availableMinor');
  });
});

import { DomainError } from '../domain.errors';
import { DeveloperCommand } from '../ledger.commands';
import { DeveloperEvent } from '../ledger.events';
import { failPayout, history, recordRevenue, registerApp, registerDeveloper, requestPayout, settlePayout } from '../testing/developer-decider.support';
import { decodeDeveloperEvent, encodeDeveloperEvent } from './ledger-event.codec';

const fxPayout = (payoutId: string): DeveloperCommand => ({
  type: 'RequestPayout',
  data: {
    payoutId, developerId: 'dev-1', currency: 'USD', amount: '1234.56', requestedAt: '2026-03-01T00:00:00Z',
    payoutCurrency: 'JPY', fxRate: '151.237', fxSource: 'ECB reference rate 2026-02-27',
  },
});

const events: DeveloperEvent[] = history([
  registerDeveloper(), registerApp('app-1'), recordRevenue('r-1', 'app-1', '5000.00', '2026-01-10T00:00:00Z'),
  fxPayout('p-1'), fxPayout('p-2'), settlePayout('p-1', '2026-03-02T00:00:00Z'), failPayout('p-2', '2026-03-02T00:00:00Z'),
  requestPayout('p-3', '100.00', '2026-03-01T00:00:00Z'),
]);
const payoutEvent = (type: string, payoutId: string) => events.find((event) => event.type === type && 'payoutId' in event.data && event.data.payoutId === payoutId)!;
const encodedOf = (type: string, payoutId: string) => encodeDeveloperEvent(payoutEvent(type, payoutId)).data;

function refusal(type: string, data: unknown): string {
  try {
    decodeDeveloperEvent(type, data);
  } catch (error) {
    if (error instanceof DomainError) return `${error.code} ${error.field}`;
    throw error;
  }
  return 'accepted';
}

describe('payout conversion in the event codec', () => {
  it('encodes the conversion explicitly on the request, the settlement and the failure, and decodes it back', () => {
    const conversion = { payoutCurrency: 'JPY', payoutAmountMinor: '186711', fxRate: '151.237', fxSource: 'ECB reference rate 2026-02-27', fxRuleVersion: 1 };
    for (const [type, payoutId] of [['PayoutRequested', 'p-1'], ['PayoutSettled', 'p-1'], ['PayoutFailed', 'p-2']] as const) {
      const encoded = encodedOf(type, payoutId);
      expect(encoded.conversion).toEqual(conversion);
      const decoded = decodeDeveloperEvent(type, JSON.parse(JSON.stringify(encoded)));
      expect(decoded).toEqual(payoutEvent(type, payoutId));
      expect(encodeDeveloperEvent(decoded).data).toEqual(encoded);
    }
  });

  it('encodes a payout in its own currency exactly as before conversions existed, and decodes such events without one', () => {
    const encoded = encodedOf('PayoutRequested', 'p-3');
    expect(Object.keys(encoded).sort()).toEqual(['amountMinor', 'currency', 'developerId', 'payoutId', 'requestedAt']);
    const decoded = decodeDeveloperEvent('PayoutRequested', encoded);
    expect('conversion' in decoded.data).toBe(false);
  });

  it('refuses a malformed conversion, naming the field', () => {
    const requested = encodedOf('PayoutRequested', 'p-1');
    const conversion = requested.conversion as Record<string, unknown>;
    const withConversion = (changes: Record<string, unknown>) => ({ ...requested, conversion: { ...conversion, ...changes } });
    expect(refusal('PayoutRequested', { ...requested, conversion: null })).toBe('event_malformed conversion');
    expect(refusal('PayoutRequested', withConversion({ payoutCurrency: 'USD' }))).toBe('event_malformed conversion.payoutCurrency');
    expect(refusal('PayoutRequested', withConversion({ payoutCurrency: 'XYZ' }))).toBe('event_malformed conversion.payoutCurrency');
    expect(refusal('PayoutRequested', withConversion({ payoutAmountMinor: '0' }))).toBe('event_malformed conversion.payoutAmountMinor');
    expect(refusal('PayoutRequested', withConversion({ payoutAmountMinor: 186711 }))).toBe('event_malformed conversion.payoutAmountMinor');
    expect(refusal('PayoutRequested', withConversion({ payoutAmountMinor: '1000000000000001' }))).toBe('event_malformed conversion.payoutAmountMinor');
    expect(refusal('PayoutRequested', withConversion({ fxRate: '1.5e2' }))).toBe('event_malformed conversion.fxRate');
    expect(refusal('PayoutRequested', withConversion({ fxRate: 151.237 }))).toBe('event_malformed conversion.fxRate');
    expect(refusal('PayoutRequested', withConversion({ fxSource: '' }))).toBe('event_malformed conversion.fxSource');
    expect(refusal('PayoutRequested', withConversion({ fxSource: 'x'.repeat(201) }))).toBe('event_malformed conversion.fxSource');
    expect(refusal('PayoutRequested', withConversion({ fxRuleVersion: 2 }))).toBe('event_malformed conversion.fxRuleVersion');
    // Whether the amount follows from the rate is verify's finding, not the codec's.
    expect(refusal('PayoutRequested', withConversion({ payoutAmountMinor: '186712' }))).toBe('accepted');
  });
});

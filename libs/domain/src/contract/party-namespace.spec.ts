import { PLATFORM_PARTY, RESERVED_PARTY_KINDS, SYSTEM_ACCOUNTS, isReservedParty, partyKind } from './party-namespace';
import { contractTerms, given, history, recordRevenue, registerApp, registerDeveloper, amendContract } from '../testing/developer-decider.support';
import { decodeDeveloperEvent, encodeDeveloperEvent } from '../codec/ledger-event.codec';
import { contractVersionRecord } from './contract-version.selector';
import { parseContractTerms } from './contract-terms.parser';

const withCarveOut = (party: string, effectiveFrom = '2026-01-01T00:00:00Z') => contractTerms({ effectiveFrom, carveOuts: [{ party, rate: '1%', of: 'basis' }] });

describe('the party namespace', () => {
  it('reserves every system account, the platform and the developers', () => {
    for (const account of SYSTEM_ACCOUNTS) expect(isReservedParty(account)).toBe(true);
    expect(isReservedParty(PLATFORM_PARTY)).toBe(true);
    expect(isReservedParty('developer:dev-1')).toBe(true);
    expect(isReservedParty('system:anything')).toBe(true);
    expect(RESERVED_PARTY_KINDS).toEqual(expect.arrayContaining(SYSTEM_ACCOUNTS.map(partyKind)));
  });
  it('leaves other kinds to contracts', () => {
    for (const party of ['provider:acme-models', 'referrer:lagos-hub', 'revenues:x', 'payout:x', 'systems:x']) expect(isReservedParty(party)).toBe(false);
  });

  const registered = history([registerDeveloper()]);
  it.each(['revenue:clearing', 'payouts:in-flight', 'payouts:settled', 'payouts:anything', 'revenue:other', 'system:fees', 'platform:fees'])('refuses a carve-out to %s', (party) => {
    given(registered).when(registerApp('app-1', withCarveOut(party))).thenRefused('party_reserved', 'invalid', 'contract.carveOuts[0].party');
  });
  it('refuses a reserved party in an amendment too', () => {
    const withApp = history([registerDeveloper(), registerApp('app-1')]);
    given(withApp).when(amendContract('app-1', withCarveOut('payouts:settled', '2026-02-01T00:00:00Z'))).thenRefused('party_reserved', 'invalid', 'contract.carveOuts[0].party');
  });
  it.each(['platform', 'developer:dev-2', 'developer:dev-1'])('refuses a carve-out to %s with the same code as every reserved party', (party) => {
    given(registered).when(registerApp('app-1', withCarveOut(party))).thenRefused('party_reserved', 'invalid', 'contract.carveOuts[0].party');
  });
  it('accepts an ordinary carve-out party and splits to it', () => {
    const events = given(history([registerDeveloper(), registerApp('app-1', withCarveOut('referrer:lagos-hub'))]))
      .when(recordRevenue('r-1', 'app-1', '100.00', '2026-01-05T00:00:00Z')).thenEvents();
    expect(events[0]!.type === 'RevenueRecorded' && events[0]!.data.lines.map((line) => line.party)).toContain('referrer:lagos-hub');
  });
  it('still decodes a contract recorded with a reserved party before the rule (verify reports it)', () => {
    const contract = contractVersionRecord(1, parseContractTerms(withCarveOut('revenue:clearing')));
    const event = { type: 'AppRegistered' as const, data: { appId: 'app-1', developerId: 'dev-1', name: 'App', contract } };
    const decoded = decodeDeveloperEvent(event.type, encodeDeveloperEvent(event).data);
    expect(decoded.type === 'AppRegistered' && decoded.data.contract.hash).toBe(contract.hash);
  });
});

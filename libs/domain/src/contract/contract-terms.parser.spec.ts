import { DomainError } from '../domain.errors';
import { RATE_DENOMINATOR } from '../money/rate';
import { contractTerms, platformShare } from '../testing/developer-decider.support';
import { canonicalJson } from './canonical-json';
import { canonicalContractDocument, contractHash, parseContractTerms } from './contract-terms.parser';

function refusal(raw: unknown): string {
  try {
    parseContractTerms(raw);
  } catch (error) {
    if (error instanceof DomainError) return `${error.code} ${error.field}`;
    throw error;
  }
  return 'accepted';
}

const fullContract = {
  currency: 'USD',
  effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ upTo: '1000000.00', rate: '0%' }, { rate: '15%' }], window: 'lifetime', scope: 'app' },
  rateMultiplier: '50%',
  platformCap: { amount: '5000.00', window: 'calendar_month' },
  carveOuts: [
    { party: 'provider:acme-models', rate: '30%', of: 'platform' },
    { party: 'referrer:lagos-hub', rate: '1%', of: 'basis' },
  ],
  holdDays: 14,
  minimumPayout: '50.00',
};

describe('parseContractTerms', () => {
  it('parses the contract example of docs/domain.md exactly', () => {
    const terms = parseContractTerms(fullContract);
    expect(terms.currency).toBe('USD');
    expect(terms.effectiveFrom).toBe('2026-01-01T00:00:00.000Z');
    expect(terms.platformShare.tiers).toEqual([
      { upToMinor: 100000000n, rate: { numerator: 0n, denominator: RATE_DENOMINATOR } },
      { upToMinor: null, rate: { numerator: 15_000_000n, denominator: RATE_DENOMINATOR } },
    ]);
    expect(terms.rateMultiplier.numerator).toBe(50_000_000n);
    expect(terms.platformCap).toEqual({ amountMinor: 500000n, window: 'calendar_month', counter: 'across_categories' });
    expect(terms.carveOuts.map((carveOut) => carveOut.party)).toEqual(['provider:acme-models', 'referrer:lagos-hub']);
    expect(terms.holdDays).toBe(14);
    expect(terms.minimumPayoutMinor).toBe(5000n);
  });

  it('defaults rateMultiplier to 100%, no cap, no carve-outs', () => {
    const terms = parseContractTerms(contractTerms());
    expect(terms.rateMultiplier.numerator).toBe(RATE_DENOMINATOR);
    expect(terms.platformCap).toBeNull();
    expect(terms.carveOuts).toEqual([]);
  });

  it.each([
    [null, 'contract_invalid contract'],
    [[], 'contract_invalid contract'],
    [{ ...fullContract, extra: 1 }, 'contract_invalid contract.extra'],
    [{ ...fullContract, currency: 'usd' }, 'unknown_currency contract.currency'],
    [{ ...fullContract, effectiveFrom: '2026-01-01' }, 'instant_malformed contract.effectiveFrom'],
    [{ ...fullContract, platformShare: undefined }, 'contract_invalid contract.platformShare'],
    [{ ...fullContract, platformShare: { ...fullContract.platformShare, extra: true } }, 'contract_invalid contract.platformShare.extra'],
    [{ ...fullContract, platformShare: platformShare([]) }, 'contract_invalid contract.platformShare.tiers'],
    [{ ...fullContract, platformShare: platformShare([{ upTo: '10.00', rate: '1%' }]) }, 'contract_invalid contract.platformShare.tiers[0].upTo'],
    [{ ...fullContract, platformShare: platformShare([{ rate: '1%' }, { rate: '2%' }]) }, 'contract_invalid contract.platformShare.tiers[0].upTo'],
    [{ ...fullContract, platformShare: platformShare([{ upTo: '10.00', rate: '1%' }, { upTo: '10.00', rate: '2%' }, { rate: '3%' }]) }, 'contract_invalid contract.platformShare.tiers[1].upTo'],
    [{ ...fullContract, platformShare: platformShare([{ upTo: '10.00', rate: '1%' }, { upTo: '5.00', rate: '2%' }, { rate: '3%' }]) }, 'contract_invalid contract.platformShare.tiers[1].upTo'],
    [{ ...fullContract, platformShare: platformShare([{ upTo: '0.00', rate: '1%' }, { rate: '3%' }]) }, 'amount_zero contract.platformShare.tiers[0].upTo'],
    [{ ...fullContract, platformShare: platformShare([{ upTo: 10, rate: '1%' }, { rate: '3%' }]) }, 'amount_not_a_string contract.platformShare.tiers[0].upTo'],
    [{ ...fullContract, platformShare: platformShare([{ upTo: '10.00', rate: '1%' }, { rate: '3' }]) }, 'rate_malformed contract.platformShare.tiers[1].rate'],
    [{ ...fullContract, platformShare: platformShare([{ upTo: '10.00', rate: '1%', x: 1 }, { rate: '3%' }]) }, 'contract_invalid contract.platformShare.tiers[0].x'],
    [{ ...fullContract, platformShare: platformShare([{ rate: '3%' }], 'weekly') }, 'contract_invalid contract.platformShare.window'],
    [{ ...fullContract, platformShare: platformShare([{ rate: '3%' }], 'lifetime', 'team') }, 'contract_invalid contract.platformShare.scope'],
    [{ ...fullContract, rateMultiplier: '101%' }, 'rate_above_hundred_percent contract.rateMultiplier'],
    [{ ...fullContract, platformCap: { amount: '5000.00' } }, 'contract_invalid contract.platformCap.window'],
    [{ ...fullContract, platformCap: { amount: '50.001', window: 'lifetime' } }, 'amount_too_many_decimals contract.platformCap.amount'],
    [{ ...fullContract, carveOuts: {} }, 'contract_invalid contract.carveOuts'],
    [{ ...fullContract, carveOuts: [{ party: 'platform', rate: '1%', of: 'basis' }] }, 'party_reserved contract.carveOuts[0].party'],
    [{ ...fullContract, carveOuts: [{ party: 'developer:x', rate: '1%', of: 'basis' }] }, 'party_reserved contract.carveOuts[0].party'],
    [{ ...fullContract, carveOuts: [{ party: 'acme', rate: '1%', of: 'basis' }] }, 'contract_invalid contract.carveOuts[0].party'],
    [{ ...fullContract, carveOuts: [{ party: 'p:a', rate: '1%', of: 'basis' }, { party: 'p:a', rate: '1%', of: 'basis' }] }, 'contract_invalid contract.carveOuts[1].party'],
    [{ ...fullContract, carveOuts: [{ party: 'p:a', rate: '1%', of: 'gross' }] }, 'contract_invalid contract.carveOuts[0].of'],
    [{ ...fullContract, holdDays: -1 }, 'contract_invalid contract.holdDays'],
    [{ ...fullContract, holdDays: 1.5 }, 'contract_invalid contract.holdDays'],
    [{ ...fullContract, holdDays: 3651 }, 'contract_invalid contract.holdDays'],
    [{ ...fullContract, holdDays: undefined }, 'contract_invalid contract.holdDays'],
    [{ ...fullContract, minimumPayout: undefined }, 'contract_invalid contract.minimumPayout'],
    [{ ...fullContract, minimumPayout: '-1.00' }, 'amount_negative contract.minimumPayout'],
  ])('refuses %#: %s', (raw, expected) => {
    expect(refusal(raw)).toBe(expected);
  });

  it('refuses highest rate × multiplier + basis carve-outs above 100%', () => {
    const over = { ...fullContract, rateMultiplier: '100%', platformShare: platformShare([{ rate: '99.5%' }]), carveOuts: [{ party: 'p:a', rate: '0.6%', of: 'basis' }] };
    expect(refusal(over)).toBe('contract_over_hundred_percent contract');
    const exactlyHundred = { ...over, carveOuts: [{ party: 'p:a', rate: '0.5%', of: 'basis' }] };
    expect(refusal(exactlyHundred)).toBe('accepted');
    const halved = { ...over, rateMultiplier: '50%' };
    expect(refusal(halved)).toBe('accepted');
  });

  it('refuses platform carve-outs above 100%', () => {
    const over = { ...fullContract, carveOuts: [{ party: 'p:a', rate: '60%', of: 'platform' }, { party: 'p:b', rate: '40.1%', of: 'platform' }] };
    expect(refusal(over)).toBe('contract_over_hundred_percent contract.carveOuts');
  });

  it('accepts 0% and 100% edges', () => {
    expect(refusal({ ...fullContract, platformShare: platformShare([{ rate: '0%' }]), carveOuts: [] })).toBe('accepted');
    expect(refusal({ ...fullContract, rateMultiplier: '100%', platformShare: platformShare([{ rate: '100%' }]), carveOuts: [{ party: 'p:a', rate: '100%', of: 'platform' }] })).toBe('accepted');
  });
});

describe('canonical document and hash', () => {
  it('documents the canonical form', () => {
    expect(canonicalJson(canonicalContractDocument(parseContractTerms(fullContract)))).toBe(
      '{"carveOuts":[{"of":"platform","party":"provider:acme-models","rate":"30%"},{"of":"basis","party":"referrer:lagos-hub","rate":"1%"}],'
      + '"currency":"USD","effectiveFrom":"2026-01-01T00:00:00.000Z","holdDays":"14","minimumPayout":"50.00",'
      + '"platformCap":{"amount":"5000.00","window":"calendar_month"},'
      + '"platformShare":{"scope":"app","tiers":[{"rate":"0%","upTo":"1000000.00"},{"rate":"15%","upTo":null}],"window":"lifetime"},'
      + '"rateMultiplier":"50%"}',
    );
  });

  it('gives the same hash in any key order, with written defaults and other spellings', () => {
    const plain = contractTerms();
    const reordered = {
      minimumPayout: '50',
      holdDays: '14',
      platformShare: { scope: 'app', window: 'lifetime', tiers: [{ rate: '0.0%', upTo: '1000' }, { upTo: null, rate: '15.000%' }] },
      effectiveFrom: '2026-01-01T01:00:00+01:00',
      currency: 'USD',
      rateMultiplier: '100%',
      platformCap: null,
      carveOuts: [],
    };
    expect(contractHash(parseContractTerms(reordered))).toBe(contractHash(parseContractTerms(plain)));
    expect(contractHash(parseContractTerms(plain))).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives another hash for other terms', () => {
    expect(contractHash(parseContractTerms(contractTerms({ holdDays: 15 })))).not.toBe(contractHash(parseContractTerms(contractTerms())));
  });

  it('parses its own canonical document back to the same terms', () => {
    const terms = parseContractTerms(fullContract);
    expect(parseContractTerms(canonicalContractDocument(terms))).toEqual(terms);
  });
});

describe('canonicalJson', () => {
  it('sorts keys, drops undefined members, has no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined, d: { z: 1, y: 2 } })).toBe('{"a":[true,null,"x"],"b":1,"d":{"y":2,"z":1}}');
  });
  it('refuses bigint and non-finite numbers', () => {
    expect(() => canonicalJson({ a: 1n })).toThrow('invariant');
    expect(() => canonicalJson(Number.NaN)).toThrow('invariant');
  });
});

describe('revenue categories in the terms', () => {
  const withCategories = {
    ...fullContract,
    platformShare: {
      ...fullContract.platformShare,
      counter: 'per_category',
      categories: { subscription: { tiers: [{ rate: '15%' }], window: 'calendar_year', scope: 'developer' } },
    },
    platformCap: { amount: '5000.00', window: 'calendar_month', counter: 'per_category' },
  };

  it('parses a category\'s own terms and the counters', () => {
    const terms = parseContractTerms(withCategories);
    expect(terms.platformShare.counter).toBe('per_category');
    expect(terms.platformCap?.counter).toBe('per_category');
    expect(terms.platformShare.categories.subscription).toEqual({
      tiers: [{ upToMinor: null, rate: { numerator: 15n * RATE_DENOMINATOR / 100n, denominator: RATE_DENOMINATOR } }],
      window: 'calendar_year', scope: 'developer',
    });
    expect(terms.platformShare.categories.advertising).toBeUndefined();
  });

  it('defaults to no category terms, counted across categories', () => {
    const terms = parseContractTerms(fullContract);
    expect(terms.platformShare.counter).toBe('across_categories');
    expect(terms.platformShare.categories).toEqual({});
  });

  it.each([
    [{ ...withCategories, platformShare: { ...withCategories.platformShare, counter: 'per-category' } }, 'contract_invalid contract.platformShare.counter'],
    [{ ...withCategories, platformCap: { ...withCategories.platformCap, counter: 'each' } }, 'contract_invalid contract.platformCap.counter'],
    [{ ...withCategories, platformShare: { ...withCategories.platformShare, categories: [] } }, 'contract_invalid contract.platformShare.categories'],
    [{ ...withCategories, platformShare: { ...withCategories.platformShare, categories: { music: withCategories.platformShare.categories.subscription } } },
      'contract_invalid contract.platformShare.categories.music'],
    [{ ...withCategories, platformShare: { ...withCategories.platformShare, categories: { subscription: { tiers: [], window: 'lifetime', scope: 'app' } } } },
      'contract_invalid contract.platformShare.categories.subscription.tiers'],
    [{ ...withCategories, platformShare: { ...withCategories.platformShare, categories: { subscription: { tiers: [{ rate: '1%' }], window: 'lifetime' } } } },
      'contract_invalid contract.platformShare.categories.subscription.scope'],
    [{ ...withCategories, platformShare: { ...withCategories.platformShare, categories: { subscription: { tiers: [{ rate: '1%' }], window: 'lifetime', scope: 'app', counter: 'per_category' } } } },
      'contract_invalid contract.platformShare.categories.subscription.counter'],
    [{ ...withCategories, platformShare: { ...withCategories.platformShare, categories: { advertising: 'flat 30%' } } },
      'contract_invalid contract.platformShare.categories.advertising'],
  ])('refuses %#: %s', (raw, expected) => {
    expect(refusal(raw)).toBe(expected);
  });

  it('counts a category\'s highest rate in the 100% limit', () => {
    const over = {
      ...fullContract, rateMultiplier: '100%', carveOuts: [{ party: 'p:a', rate: '10%', of: 'basis' }],
      platformShare: { ...fullContract.platformShare, categories: { advertising: { tiers: [{ rate: '95%' }], window: 'lifetime', scope: 'app' } } },
    };
    expect(refusal(over)).toBe('contract_over_hundred_percent contract');
  });

  it('writes the category terms and counters into the canonical document only when not the default', () => {
    const defaults = { ...fullContract, platformShare: { ...fullContract.platformShare, counter: 'across_categories', categories: {} },
      platformCap: { ...fullContract.platformCap, counter: 'across_categories' } };
    expect(contractHash(parseContractTerms(defaults))).toBe(contractHash(parseContractTerms(fullContract)));
    const document = canonicalJson(canonicalContractDocument(parseContractTerms(withCategories)));
    expect(document).toContain('"platformCap":{"amount":"5000.00","counter":"per_category","window":"calendar_month"}');
    expect(document).toContain('"categories":{"subscription":{"scope":"developer","tiers":[{"rate":"15%","upTo":null}],"window":"calendar_year"}},"counter":"per_category"');
    expect(contractHash(parseContractTerms(withCategories))).not.toBe(contractHash(parseContractTerms(fullContract)));
    const terms = parseContractTerms(withCategories);
    expect(parseContractTerms(canonicalContractDocument(terms))).toEqual(terms);
  });
});

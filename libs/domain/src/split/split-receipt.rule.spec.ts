import { parseContractTerms } from '../contract/contract-terms.parser';
import { contractTerms, lineSummary, platformShare } from '../testing/developer-decider.support';
import { splitReceipt } from './split-receipt.rule';

type Case = {
  name: string;
  contract: Record<string, unknown>;
  basisMinor: bigint;
  tierCounterMinor?: bigint;
  capUsageMinor?: bigint;
  lines: string[];
  platformShareMinor: bigint;
};

const fifteenPercentAbove10 = { platformShare: platformShare([{ upTo: '10.00', rate: '0%' }, { rate: '15%' }]) };
const threeTiers = { platformShare: platformShare([{ upTo: '10.00', rate: '0%' }, { upTo: '20.00', rate: '10%' }, { rate: '20%' }]) };

const cases: Case[] = [
  { name: '1 minor unit at 15% goes to the developer', contract: { platformShare: platformShare([{ rate: '15%' }]) }, basisMinor: 1n, lines: ['platform=0', 'developer:dev-1=1'], platformShareMinor: 0n },
  { name: '7 minor units at 15%: 1.05 floors to 1', contract: { platformShare: platformShare([{ rate: '15%' }]) }, basisMinor: 7n, lines: ['platform=1', 'developer:dev-1=6'], platformShareMinor: 1n },
  { name: 'receipt ending exactly on the tier boundary stays at 0%', contract: fifteenPercentAbove10, basisMinor: 1000n, lines: ['platform=0', 'developer:dev-1=1000'], platformShareMinor: 0n },
  { name: 'receipt starting exactly on the tier boundary pays 15%', contract: fifteenPercentAbove10, basisMinor: 100n, tierCounterMinor: 1000n, lines: ['platform=15', 'developer:dev-1=85'], platformShareMinor: 15n },
  { name: 'receipt straddling the boundary pays 15% on the part above', contract: fifteenPercentAbove10, basisMinor: 200n, tierCounterMinor: 900n, lines: ['platform=15', 'developer:dev-1=185'], platformShareMinor: 15n },
  { name: 'one unit below the boundary', contract: fifteenPercentAbove10, basisMinor: 1n, tierCounterMinor: 999n, lines: ['platform=0', 'developer:dev-1=1'], platformShareMinor: 0n },
  { name: 'receipt spanning three tiers', contract: threeTiers, basisMinor: 2000n, tierCounterMinor: 500n, lines: ['platform=200', 'developer:dev-1=1800'], platformShareMinor: 200n },
  { name: 'receipt spanning three tiers from zero with fractions', contract: threeTiers, basisMinor: 2007n, lines: ['platform=101', 'developer:dev-1=1906'], platformShareMinor: 101n },
  { name: '0% contract', contract: { platformShare: platformShare([{ rate: '0%' }]) }, basisMinor: 123456n, lines: ['platform=0', 'developer:dev-1=123456'], platformShareMinor: 0n },
  { name: '100% contract', contract: { platformShare: platformShare([{ rate: '100%' }]) }, basisMinor: 123456n, lines: ['platform=123456', 'developer:dev-1=0'], platformShareMinor: 123456n },
  { name: 'JPY (0 decimals): 1 yen above the boundary', contract: { currency: 'JPY', minimumPayout: '5000', platformShare: platformShare([{ upTo: '1000', rate: '0%' }, { rate: '15%' }]) }, basisMinor: 1001n, lines: ['platform=0', 'developer:dev-1=1001'], platformShareMinor: 0n },
  { name: 'JPY (0 decimals): 15% of 1000 yen above the boundary', contract: { currency: 'JPY', minimumPayout: '5000', platformShare: platformShare([{ upTo: '1000', rate: '0%' }, { rate: '15%' }]) }, basisMinor: 2000n, lines: ['platform=150', 'developer:dev-1=1850'], platformShareMinor: 150n },
  { name: 'KWD (3 decimals): 2.5% of 1.001', contract: { currency: 'KWD', minimumPayout: '10.000', platformShare: platformShare([{ rate: '2.5%' }]) }, basisMinor: 1001n, lines: ['platform=25', 'developer:dev-1=976'], platformShareMinor: 25n },
  { name: 'multiplier 50% halves 15%', contract: { rateMultiplier: '50%', platformShare: platformShare([{ rate: '15%' }]) }, basisMinor: 10000n, lines: ['platform=750', 'developer:dev-1=9250'], platformShareMinor: 750n },
  { name: 'multiplier applies before the floor', contract: { rateMultiplier: '50%', platformShare: platformShare([{ rate: '15%' }]) }, basisMinor: 13n, lines: ['platform=0', 'developer:dev-1=13'], platformShareMinor: 0n },
  { name: 'cap reached mid-receipt', contract: { platformCap: { amount: '5.00', window: 'lifetime' }, platformShare: platformShare([{ rate: '15%' }]) }, basisMinor: 10000n, capUsageMinor: 400n, lines: ['platform=100', 'developer:dev-1=9900'], platformShareMinor: 100n },
  { name: 'cap already used up', contract: { platformCap: { amount: '5.00', window: 'lifetime' }, platformShare: platformShare([{ rate: '15%' }]) }, basisMinor: 10000n, capUsageMinor: 500n, lines: ['platform=0', 'developer:dev-1=10000'], platformShareMinor: 0n },
  { name: 'cap not reached', contract: { platformCap: { amount: '5.00', window: 'lifetime' }, platformShare: platformShare([{ rate: '15%' }]) }, basisMinor: 1000n, capUsageMinor: 100n, lines: ['platform=150', 'developer:dev-1=850'], platformShareMinor: 150n },
  {
    name: 'carve-outs floor: 30% of platform and 1% of basis',
    contract: {
      platformShare: platformShare([{ rate: '15%' }]),
      carveOuts: [{ party: 'provider:acme-models', rate: '30%', of: 'platform' }, { party: 'referrer:lagos-hub', rate: '1%', of: 'basis' }],
    },
    basisMinor: 999n,
    lines: ['platform=105', 'provider:acme-models=44', 'referrer:lagos-hub=9', 'developer:dev-1=841'],
    platformShareMinor: 149n,
  },
  {
    name: 'carve-outs on 1 minor unit are all zero',
    contract: { platformShare: platformShare([{ rate: '15%' }]), carveOuts: [{ party: 'p:a', rate: '30%', of: 'platform' }, { party: 'p:b', rate: '1%', of: 'basis' }] },
    basisMinor: 1n,
    lines: ['platform=0', 'p:a=0', 'p:b=0', 'developer:dev-1=1'],
    platformShareMinor: 0n,
  },
  {
    name: '100% rate with 100% platform carve-out leaves platform and developer at zero',
    contract: { platformShare: platformShare([{ rate: '100%' }]), carveOuts: [{ party: 'p:a', rate: '100%', of: 'platform' }] },
    basisMinor: 500n,
    lines: ['platform=0', 'p:a=500', 'developer:dev-1=0'],
    platformShareMinor: 500n,
  },
  {
    name: 'basis carve-out at the 100% limit',
    contract: { platformShare: platformShare([{ rate: '90%' }]), carveOuts: [{ party: 'p:a', rate: '10%', of: 'basis' }] },
    basisMinor: 999n,
    lines: ['platform=899', 'p:a=99', 'developer:dev-1=1'],
    platformShareMinor: 899n,
  },
];

describe('splitReceipt', () => {
  it.each(cases)('$name', (testCase) => {
    const result = splitReceipt({
      terms: parseContractTerms(contractTerms(testCase.contract)),
      developerId: 'dev-1',
      basisMinor: testCase.basisMinor,
      tierCounterMinor: testCase.tierCounterMinor ?? 0n,
      capUsageMinor: testCase.capUsageMinor ?? 0n,
    });
    expect(lineSummary(result.lines)).toEqual(testCase.lines);
    expect(result.platformShareMinor).toBe(testCase.platformShareMinor);
    expect(result.lines.reduce((sum, line) => sum + line.amountMinor, 0n)).toBe(testCase.basisMinor);
  });

  it('reports the exact share P* before the floor', () => {
    const result = splitReceipt({
      terms: parseContractTerms(contractTerms({ platformShare: platformShare([{ rate: '15%' }]) })),
      developerId: 'dev-1', basisMinor: 7n, tierCounterMinor: 0n, capUsageMinor: 0n,
    });
    expect(Number(result.exactPlatformShareNumerator) / Number(result.exactPlatformShareDenominator)).toBeCloseTo(1.05);
  });

  it('refuses a non-positive basis as an invariant violation', () => {
    expect(() => splitReceipt({
      terms: parseContractTerms(contractTerms()), developerId: 'dev-1', basisMinor: 0n, tierCounterMinor: 0n, capUsageMinor: 0n,
    })).toThrow('invariant');
  });
});

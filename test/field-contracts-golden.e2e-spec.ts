import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  developerStateFrom, evolveDeveloper, formatMoney, parseContractTerms, type DeveloperCommand, type DeveloperState, type RevenueRecorded,
} from '@rsi/domain';
import { decideAsLedger } from '@rsi/domain/testing';

/**
 * The contracts of the field (docs/contracts/*.json) as golden tests: each file is parsed by
 * the real parser and registered through the real developer decider, and receipt sequences
 * that reproduce its published worked example are split by the real split rule (counters,
 * windows and scopes included). The files and docs/contracts/README.md are read from disk,
 * so the documentation cannot drift from what the ledger computes.
 */
const CONTRACTS_FOLDER = path.resolve(__dirname, '..', 'docs', 'contracts');
/** After every business time below (the Google Play example runs into 2027). */
const BOOKED_AT = '2027-12-31T00:00:00.000Z';

function contractFile(name: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(CONTRACTS_FOLDER, name), 'utf8')) as Record<string, unknown>;
}

const README = fs.readFileSync(path.join(CONTRACTS_FOLDER, 'README.md'), 'utf8');

/** Asserts that the README says `phrase`, whatever the line breaks. */
function expectReadmeMentions(phrase: string): void {
  const flowing = README.replace(/\s+/g, ' ');
  expect({ phrase, found: flowing.includes(phrase) }).toEqual({ phrase, found: true });
}

type Receipt = { receiptId: string; appId: string; amount: string; occurredAt: string; category?: string };
type Split = { receiptId: string; amountMinor: bigint; platformMinor: bigint; developerMinor: bigint };

/** Registers a developer and its apps under `contract`, records the receipts in order, and returns each split. */
function splitsOf(contract: unknown, appIds: readonly string[], receipts: readonly Receipt[], incomeGroup = 'high'): Split[] {
  const developerId = 'dev-golden';
  const commands: DeveloperCommand[] = [
    { type: 'RegisterDeveloper', data: { developerId, name: 'Golden Studio', country: 'NG', incomeGroup } },
    ...appIds.map((appId): DeveloperCommand => ({ type: 'RegisterApp', data: { appId, developerId, name: `App ${appId}`, contract } })),
    ...receipts.map((receipt): DeveloperCommand => ({ type: 'RecordRevenue', data: { ...receipt, currency: 'USD' } })),
  ];
  let state: DeveloperState = developerStateFrom([]);
  const splits: Split[] = [];
  for (const command of commands) {
    for (const event of decideAsLedger(command, state, { bookedAt: BOOKED_AT })) {
      state = evolveDeveloper(state, event);
      if (event.type !== 'RevenueRecorded') continue;
      const recorded = (event as RevenueRecorded).data;
      expect(recorded.lines.map((line) => line.party)).toEqual(['platform', `developer:${developerId}`]);
      const sumMinor = recorded.lines.reduce((sum, line) => sum + line.amountMinor, 0n);
      expect({ receiptId: recorded.receiptId, sumMinor }).toEqual({ receiptId: recorded.receiptId, sumMinor: recorded.amountMinor });
      for (const line of recorded.lines) expect(line.amountMinor >= 0n).toBe(true);
      splits.push({ receiptId: recorded.receiptId, amountMinor: recorded.amountMinor, platformMinor: recorded.lines[0]!.amountMinor, developerMinor: recorded.lines[1]!.amountMinor });
    }
  }
  expect(splits.map((split) => split.receiptId)).toEqual(receipts.map((receipt) => receipt.receiptId));
  return splits;
}

const platformOf = (splits: readonly Split[]): bigint[] => splits.map((split) => split.platformMinor);
const totalPlatformMinor = (splits: readonly Split[]): bigint => splits.reduce((sum, split) => sum + split.platformMinor, 0n);
const totalAmountMinor = (splits: readonly Split[]): bigint => splits.reduce((sum, split) => sum + split.amountMinor, 0n);

describe('contracts of the field (docs/contracts) as golden tests', () => {
  it('the folder holds exactly the documented contract files, each accepted by the parser', () => {
    const files = fs.readdirSync(CONTRACTS_FOLDER).filter((file) => file.endsWith('.json')).sort();
    expect(files).toEqual(['google-play-with-subscriptions.json', 'google-play.json', 'low-income-region.json', 'steam.json', 'unreal-engine.json']);
    for (const file of files) {
      expectReadmeMentions(`(${file})`);
      expect(() => parseContractTerms(contractFile(file))).not.toThrow();
    }
  });

  describe('Unreal Engine: 5% of lifetime gross above USD 1,000,000 per product', () => {
    const contract = contractFile('unreal-engine.json');

    it('parses as 0% up to 1,000,000.00 then 5%, lifetime, per app', () => {
      const terms = parseContractTerms(contract);
      expect(terms.platformShare.tiers.map((tier) => tier.upToMinor)).toEqual([100_000_000n, null]);
      expect(terms.platformShare.window).toBe('lifetime');
      expect(terms.platformShare.scope).toBe('app');
      expect(terms.platformCap).toBeNull();
    });

    it('a product earning 1,200,000.00 lifetime pays 5% of 200,000.00 = 10,000.00, the straddling receipt only on its part above 1M', () => {
      const splits = splitsOf(contract, ['unreal-game', 'unreal-other'], [
        { receiptId: 'u-1', appId: 'unreal-game', amount: '600000.00', occurredAt: '2026-02-01T00:00:00Z' },
        { receiptId: 'u-2', appId: 'unreal-game', amount: '399999.99', occurredAt: '2026-03-01T00:00:00Z' },
        // Straddles the bound: 0.01 below it pays 0%, 100,000.00 above it pays 5%.
        { receiptId: 'u-3', appId: 'unreal-game', amount: '100000.01', occurredAt: '2026-04-01T00:00:00Z' },
        { receiptId: 'u-4', appId: 'unreal-game', amount: '100000.00', occurredAt: '2027-05-01T00:00:00Z' },
        // Another product of the same developer has its own 1M (scope app).
        { receiptId: 'u-5', appId: 'unreal-other', amount: '10000.00', occurredAt: '2027-05-02T00:00:00Z' },
      ]);
      expect(platformOf(splits)).toEqual([0n, 0n, 500_000n, 500_000n, 0n]);
      expect(splits[2]!.developerMinor).toBe(9_500_001n);
      const game = splits.slice(0, 4);
      expect(formatMoney(totalAmountMinor(game), 'USD')).toBe('1200000.00');
      expect(formatMoney(totalPlatformMinor(game), 'USD')).toBe('10000.00');
      expectReadmeMentions('pays 5% of 200,000.00 = 10,000.00');
    });

    it('above the bound a fraction of a cent goes to the developer (floor)', () => {
      const splits = splitsOf(contract, ['unreal-game'], [
        { receiptId: 'u-1', appId: 'unreal-game', amount: '1000000.00', occurredAt: '2026-02-01T00:00:00Z' },
        { receiptId: 'u-2', appId: 'unreal-game', amount: '0.99', occurredAt: '2026-02-02T00:00:00Z' },
      ]);
      // 0.99 × 5% = 0.0495: the platform gets 0.04, the developer 0.95.
      expect(splits[1]).toEqual({ receiptId: 'u-2', amountMinor: 99n, platformMinor: 4n, developerMinor: 95n });
    });
  });

  describe('Steam: 30%, 25% above USD 10M, 20% above USD 50M, lifetime per game', () => {
    const contract = contractFile('steam.json');

    it('parses as three marginal tiers over the game\'s lifetime', () => {
      const terms = parseContractTerms(contract);
      expect(terms.platformShare.tiers.map((tier) => tier.upToMinor)).toEqual([1_000_000_000n, 5_000_000_000n, null]);
      expect(terms.platformShare.window).toBe('lifetime');
      expect(terms.platformShare.scope).toBe('app');
    });

    it('a game at 12M lifetime has paid 30% of the first 10M + 25% of 2M = 3,500,000.00', () => {
      const splits = splitsOf(contract, ['steam-game'], [
        { receiptId: 's-1', appId: 'steam-game', amount: '9000000.00', occurredAt: '2026-01-31T00:00:00Z' },
        // Straddles 10M: 1M at 30% + 1M at 25%.
        { receiptId: 's-2', appId: 'steam-game', amount: '2000000.00', occurredAt: '2026-02-28T00:00:00Z' },
        { receiptId: 's-3', appId: 'steam-game', amount: '1000000.00', occurredAt: '2027-03-31T00:00:00Z' },
      ]);
      expect(platformOf(splits)).toEqual([270_000_000n, 55_000_000n, 25_000_000n]);
      expect(formatMoney(totalPlatformMinor(splits), 'USD')).toBe('3500000.00');
      expectReadmeMentions('30% of 10,000,000.00 + 25% of 2,000,000.00 = 3,000,000.00 + 500,000.00 = 3,500,000.00');
    });

    it('a game at 60M has paid 3,000,000.00 + 10,000,000.00 + 2,000,000.00 = 15,000,000.00, crossing 50M inside a receipt', () => {
      const splits = splitsOf(contract, ['steam-hit'], [
        { receiptId: 's-1', appId: 'steam-hit', amount: '49000000.00', occurredAt: '2026-01-31T00:00:00Z' },
        // Straddles 50M: 1M at 25% + 10M at 20%.
        { receiptId: 's-2', appId: 'steam-hit', amount: '11000000.00', occurredAt: '2026-02-28T00:00:00Z' },
      ]);
      expect(platformOf(splits)).toEqual([1_275_000_000n, 225_000_000n]);
      expect(formatMoney(totalPlatformMinor(splits), 'USD')).toBe('15000000.00');
      expectReadmeMentions('= 15,000,000.00');
    });
  });

  describe('Google Play: 15% of the first USD 1M per developer per calendar year, 30% above', () => {
    const contract = contractFile('google-play.json');

    it('parses as 15% up to 1,000,000.00 then 30%, calendar year, per developer', () => {
      const terms = parseContractTerms(contract);
      expect(terms.platformShare.tiers.map((tier) => tier.upToMinor)).toEqual([100_000_000n, null]);
      expect(terms.platformShare.window).toBe('calendar_year');
      expect(terms.platformShare.scope).toBe('developer');
    });

    it('a developer with 1.5M over two apps in 2026 pays 15% of 1M + 30% of 0.5M; the counter resets on 1 January 2027', () => {
      const splits = splitsOf(contract, ['play-a', 'play-b'], [
        { receiptId: 'g-1', appId: 'play-a', amount: '700000.00', occurredAt: '2026-03-31T00:00:00Z' },
        // The second app crosses the developer's 1M: 300,000.00 at 15% + 200,000.00 at 30%.
        { receiptId: 'g-2', appId: 'play-b', amount: '500000.00', occurredAt: '2026-06-30T00:00:00Z' },
        { receiptId: 'g-3', appId: 'play-a', amount: '299900.00', occurredAt: '2026-09-30T00:00:00Z' },
        { receiptId: 'g-4', appId: 'play-b', amount: '100.00', occurredAt: '2026-12-31T23:59:59.999Z' },
        // A new calendar year (UTC): back to 15%.
        { receiptId: 'g-5', appId: 'play-b', amount: '100000.00', occurredAt: '2027-01-01T00:00:00Z' },
      ]);
      expect(platformOf(splits)).toEqual([10_500_000n, 10_500_000n, 8_997_000n, 3_000n, 1_500_000n]);
      const year2026 = splits.slice(0, 4);
      expect(formatMoney(totalAmountMinor(year2026), 'USD')).toBe('1500000.00');
      expect(formatMoney(totalPlatformMinor(year2026), 'USD')).toBe('300000.00');
      expectReadmeMentions('15% of 1,000,000.00 + 30% of 500,000.00 = 150,000.00 + 150,000.00 = 300,000.00');
      expectReadmeMentions('100,000.00 on 1 January 2027 pays 15,000.00');
    });
  });

  describe('Google Play with subscriptions: subscriptions 15% throughout; other receipts 15% of the first USD 1M a year, then 30%', () => {
    const contract = contractFile('google-play-with-subscriptions.json');
    const perCategory = { ...contract, platformShare: { ...(contract.platformShare as object), counter: 'per_category' } };
    const receipts: Receipt[] = [
      { receiptId: 's-1', appId: 'play-a', amount: '600000.00', occurredAt: '2026-02-01T00:00:00Z', category: 'subscription' },
      { receiptId: 'p-1', appId: 'play-b', amount: '500000.00', occurredAt: '2026-03-01T00:00:00Z', category: 'purchase' },
      { receiptId: 's-2', appId: 'play-a', amount: '100000.00', occurredAt: '2026-04-01T00:00:00Z', category: 'subscription' },
      // No category: a purchase.
      { receiptId: 'p-2', appId: 'play-b', amount: '10000.00', occurredAt: '2026-05-01T00:00:00Z' },
    ];

    it('parses as google-play.json by default, with a flat 15% for subscriptions, counted across categories', () => {
      const terms = parseContractTerms(contract);
      const plain = parseContractTerms(contractFile('google-play.json'));
      expect(terms.platformShare.tiers).toEqual(plain.platformShare.tiers);
      expect(terms.platformShare.counter).toBe('across_categories');
      expect(terms.platformShare.categories.subscription?.tiers.map((tier) => tier.upToMinor)).toEqual([null]);
      expect(terms.platformShare.categories.subscription?.scope).toBe('developer');
      expect(Object.keys(terms.platformShare.categories)).toEqual(['subscription']);
    });

    it('subscriptions use up the 15% band of the purchases (across_categories)', () => {
      const splits = splitsOf(contract, ['play-a', 'play-b'], receipts);
      expect(platformOf(splits)).toEqual([9_000_000n, 9_000_000n, 1_500_000n, 300_000n]);
      expectReadmeMentions('15% of 400,000.00 + 30% of 100,000.00 = 60,000.00 + 30,000.00 = 90,000.00');
      expectReadmeMentions('a purchase of 10,000.00 pays 3,000.00 (30%)');
    });

    it('per_category: the purchases count their own 1M', () => {
      expect(platformOf(splitsOf(perCategory, ['play-a', 'play-b'], receipts))).toEqual([9_000_000n, 7_500_000n, 1_500_000n, 150_000n]);
      expectReadmeMentions('the 500,000.00 pays 75,000.00 and the 10,000.00 pays 1,500.00');
    });

    it('a developer with purchases only pays exactly what google-play.json charges', () => {
      const purchases: Receipt[] = [
        { receiptId: 'g-1', appId: 'play-a', amount: '700000.00', occurredAt: '2026-03-31T00:00:00Z' },
        { receiptId: 'g-2', appId: 'play-b', amount: '500000.00', occurredAt: '2026-06-30T00:00:00Z', category: 'purchase' },
        { receiptId: 'g-3', appId: 'play-a', amount: '299900.00', occurredAt: '2026-09-30T00:00:00Z' },
        { receiptId: 'g-5', appId: 'play-b', amount: '100000.00', occurredAt: '2027-01-01T00:00:00Z' },
      ];
      expect(splitsOf(contract, ['play-a', 'play-b'], purchases)).toEqual(splitsOf(contractFile('google-play.json'), ['play-a', 'play-b'], purchases));
    });
  });

  describe('low-income region: the contract\'s rateMultiplier (50%) halves every tier rate', () => {
    const contract = contractFile('low-income-region.json');
    const withoutMultiplier: Record<string, unknown> = { ...contract };
    delete withoutMultiplier.rateMultiplier;

    it('parses with a 50% multiplier on a flat 30%', () => {
      const terms = parseContractTerms(contract);
      expect(terms.platformShare.tiers.map((tier) => tier.upToMinor)).toEqual([null]);
      expect(contract.rateMultiplier).toBe('50%');
      expect(terms.rateMultiplier).not.toEqual(parseContractTerms(withoutMultiplier).rateMultiplier);
    });

    it('1,000.00 pays 150.00 instead of 300.00, and 9.99 pays 1.49 (1.4985 floored) instead of 2.99', () => {
      const receipts: Receipt[] = [
        { receiptId: 'l-1', appId: 'low-app', amount: '1000.00', occurredAt: '2026-04-01T00:00:00Z' },
        { receiptId: 'l-2', appId: 'low-app', amount: '9.99', occurredAt: '2026-04-02T00:00:00Z' },
      ];
      const withMultiplier = splitsOf(contract, ['low-app'], receipts, 'low');
      expect(withMultiplier).toEqual([
        { receiptId: 'l-1', amountMinor: 100_000n, platformMinor: 15_000n, developerMinor: 85_000n },
        { receiptId: 'l-2', amountMinor: 999n, platformMinor: 149n, developerMinor: 850n },
      ]);
      expect(platformOf(splitsOf(withoutMultiplier, ['low-app'], receipts))).toEqual([30_000n, 299n]);
      expectReadmeMentions('9.99 × 30% × 50% = 1.4985');
    });
  });
});

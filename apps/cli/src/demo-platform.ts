import type { LedgerCommand } from '@rsi/ledger';
import { seededRandom } from '@rsi/test-support';
import { formatMoney } from '@rsi/domain';

const DEMO_RECEIPTS_PER_APP = 75;
const DEMO_REFUND_EVERY_NTH_RECEIPT = 9;

/**
 * The demo platform: three developers in different income groups, four apps with tiered
 * contracts, a multiplier for the low-income region, a cap and carve-outs, a contract
 * amendment, 300 receipts over 2026 and refunds of about one receipt in nine.
 */
export function demoPlatformCommands(): LedgerCommand[] {
  const random = seededRandom(20260101);
  const commands: LedgerCommand[] = [
    { type: 'RegisterDeveloper', data: { developerId: 'amara', name: 'Amara Okafor', country: 'NG', incomeGroup: 'lower-middle' } },
    { type: 'RegisterDeveloper', data: { developerId: 'lena', name: 'Lena Schmidt', country: 'DE', incomeGroup: 'high' } },
    { type: 'RegisterDeveloper', data: { developerId: 'rahim', name: 'Rahim Chowdhury', country: 'BD', incomeGroup: 'lower-middle' } },
    {
      type: 'RegisterApp',
      data: {
        appId: 'tutor-bot', developerId: 'amara', name: 'Tutor Bot',
        contract: {
          currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z',
          platformShare: { tiers: [{ upTo: '2000.00', rate: '0%' }, { upTo: '10000.00', rate: '10%' }, { rate: '20%' }], window: 'lifetime', scope: 'developer' },
          rateMultiplier: '50%',
          carveOuts: [{ party: 'referrer:lagos-hub', rate: '1%', of: 'basis' }],
          holdDays: 14, minimumPayout: '50.00',
        },
      },
    },
    {
      type: 'RegisterApp',
      data: {
        appId: 'crop-advisor', developerId: 'amara', name: 'Crop Advisor',
        contract: {
          currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z',
          platformShare: { tiers: [{ upTo: '2000.00', rate: '0%' }, { upTo: '10000.00', rate: '10%' }, { rate: '20%' }], window: 'lifetime', scope: 'developer' },
          rateMultiplier: '50%',
          holdDays: 14, minimumPayout: '50.00',
        },
      },
    },
    {
      type: 'RegisterApp',
      data: {
        appId: 'legal-drafts', developerId: 'lena', name: 'Legal Drafts',
        contract: {
          currency: 'EUR', effectiveFrom: '2026-01-01T00:00:00Z',
          platformShare: { tiers: [{ upTo: '1000.00', rate: '5%' }, { upTo: '5000.00', rate: '15%' }, { rate: '25%' }], window: 'calendar_month', scope: 'app' },
          platformCap: { amount: '900.00', window: 'calendar_month' },
          carveOuts: [{ party: 'provider:acme-models', rate: '30%', of: 'platform' }],
          holdDays: 30, minimumPayout: '100.00',
        },
      },
    },
    {
      type: 'RegisterApp',
      data: {
        appId: 'voice-notes', developerId: 'rahim', name: 'Voice Notes',
        contract: {
          currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z',
          platformShare: { tiers: [{ upTo: '500.00', rate: '0%' }, { rate: '12.5%' }], window: 'calendar_year', scope: 'app' },
          rateMultiplier: '50%',
          carveOuts: [{ party: 'provider:acme-models', rate: '20%', of: 'platform' }, { party: 'referrer:dhaka-labs', rate: '0.5%', of: 'basis' }],
          holdDays: 7, minimumPayout: '25.00',
        },
      },
    },
  ];
  const apps = [
    { appId: 'tutor-bot', currency: 'USD', typicalMinor: 4_000 },
    { appId: 'crop-advisor', currency: 'USD', typicalMinor: 9_000 },
    { appId: 'legal-drafts', currency: 'EUR', typicalMinor: 25_000 },
    { appId: 'voice-notes', currency: 'USD', typicalMinor: 3_000 },
  ];
  const receipts: LedgerCommand[] = [];
  const refunds: LedgerCommand[] = [];
  for (const app of apps) {
    for (let index = 0; index < DEMO_RECEIPTS_PER_APP; index += 1) {
      // Receipts spread over January to October 2026, in time order per app.
      const dayOfYear = Math.floor((index * 300) / DEMO_RECEIPTS_PER_APP) + Math.floor(random() * 3);
      const occurredAt = new Date(Date.UTC(2026, 0, 1 + dayOfYear, Math.floor(random() * 24), Math.floor(random() * 60))).toISOString();
      const amountMinor = BigInt(Math.max(1, Math.round(app.typicalMinor * (0.25 + random() * 1.5))));
      const receiptId = `${app.appId}-r${String(index + 1).padStart(3, '0')}`;
      receipts.push({ type: 'RecordRevenue', data: { receiptId, appId: app.appId, amount: formatMoney(amountMinor, app.currency), currency: app.currency, occurredAt } });
      if (index % DEMO_REFUND_EVERY_NTH_RECEIPT === 4) {
        const refundMinor = index % 2 === 0 ? amountMinor : (amountMinor * 30n) / 100n || 1n;
        const refundAt = new Date(Date.parse(occurredAt) + 3 * 86_400_000).toISOString();
        refunds.push({ type: 'RefundRevenue', data: { refundId: `${receiptId}-refund`, receiptId, amount: formatMoney(refundMinor, app.currency), occurredAt: refundAt } });
      }
    }
  }
  commands.push(...receipts);
  // The amendment comes after every receipt of its app so far, as the contract rule demands.
  commands.push({
    type: 'AmendContract',
    data: {
      appId: 'voice-notes',
      contract: {
        currency: 'USD', effectiveFrom: '2026-11-01T00:00:00Z',
        platformShare: { tiers: [{ upTo: '500.00', rate: '0%' }, { rate: '10%' }], window: 'calendar_year', scope: 'app' },
        rateMultiplier: '50%',
        carveOuts: [{ party: 'provider:acme-models', rate: '20%', of: 'platform' }, { party: 'referrer:dhaka-labs', rate: '0.5%', of: 'basis' }],
        holdDays: 7, minimumPayout: '25.00',
      },
    },
  });
  commands.push({ type: 'RecordRevenue', data: { receiptId: 'voice-notes-november-1', appId: 'voice-notes', amount: '120.00', currency: 'USD', occurredAt: '2026-11-03T10:00:00Z' } });
  commands.push(...refunds);
  commands.push(...demoConsumptionCommands());
  commands.push({ type: 'RequestPayout', data: { payoutId: 'amara-2026-06', developerId: 'amara', currency: 'USD', amount: '500.00', requestedAt: '2026-06-30T12:00:00Z' } });
  commands.push({ type: 'SettlePayout', data: { payoutId: 'amara-2026-06', settledAt: '2026-07-02T09:00:00Z', reference: 'SEPA-000123' } });
  commands.push({ type: 'RequestPayout', data: { payoutId: 'lena-2026-08', developerId: 'lena', currency: 'EUR', amount: '1000.00', requestedAt: '2026-08-31T12:00:00Z' } });
  commands.push({ type: 'FailPayout', data: { payoutId: 'lena-2026-08', failedAt: '2026-09-01T09:00:00Z', reason: 'IBAN closed' } });
  return commands;
}

const DEMO_CONSUMPTION_WEEKS = 43;

/**
 * The RSI side of the demo: a USD and a EUR price book, a cheaper USD price book from July,
 * and weekly consumption of every app. Voice Notes burns GPU seconds on little revenue, so
 * its platform margin is negative: the revenue share of the other apps carries it.
 */
function demoConsumptionCommands(): LedgerCommand[] {
  const commands: LedgerCommand[] = [
    {
      type: 'PublishPriceBook',
      data: {
        priceBookId: 'usd-2026-01', effectiveFrom: '2026-01-01T00:00:00Z', currency: 'USD',
        meters: {
          'tokens.input': { listPrice: '0.000003', unitCost: '0.000001' }, 'tokens.output': { listPrice: '0.000015', unitCost: '0.000005' },
          'gpu.seconds': { listPrice: '0.0011', unitCost: '0.0006' }, requests: { listPrice: '0.0005', unitCost: '0.0001' },
        },
      },
    },
    {
      type: 'PublishPriceBook',
      data: {
        priceBookId: 'usd-2026-07', effectiveFrom: '2026-07-01T00:00:00Z', currency: 'USD',
        meters: {
          'tokens.input': { listPrice: '0.0000025', unitCost: '0.0000008' }, 'tokens.output': { listPrice: '0.000012', unitCost: '0.000004' },
          'gpu.seconds': { listPrice: '0.0011', unitCost: '0.0005' }, requests: { listPrice: '0.0005', unitCost: '0.0001' },
        },
      },
    },
    {
      type: 'PublishPriceBook',
      data: {
        priceBookId: 'eur-2026-01', effectiveFrom: '2026-01-01T00:00:00Z', currency: 'EUR',
        meters: { 'tokens.input': { listPrice: '0.0000028', unitCost: '0.0000009' }, 'tokens.output': { listPrice: '0.000014', unitCost: '0.0000046' } },
      },
    },
  ];
  const weeklyUse: Record<string, Record<string, string>> = {
    'tutor-bot': { 'tokens.input': '2000000', 'tokens.output': '500000' },
    'crop-advisor': { 'tokens.input': '1000000', requests: '5000' },
    'legal-drafts': { 'tokens.input': '5000000', 'tokens.output': '2000000' },
    'voice-notes': { 'gpu.seconds': '20000.5', 'tokens.output': '1000000' },
  };
  for (let week = 0; week < DEMO_CONSUMPTION_WEEKS; week += 1) {
    const occurredAt = new Date(Date.UTC(2026, 0, 3 + week * 7, 23, 0)).toISOString();
    for (const [appId, meters] of Object.entries(weeklyUse)) {
      for (const [meter, quantity] of Object.entries(meters)) {
        commands.push({ type: 'RecordConsumption', data: { recordId: `${appId}-${meter}-w${String(week + 1).padStart(2, '0')}`, appId, meter, quantity, occurredAt } });
      }
    }
  }
  return commands;
}

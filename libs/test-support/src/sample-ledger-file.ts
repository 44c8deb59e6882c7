import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { seededRandom } from './seeded-random';
import { formatMoney } from '@rsi/domain';

/**
 * Writes a synthetic ledger as a JSONL command file: developers, apps with three-tier
 * contracts, a cap and two carve-outs, receipts spread over the apps in time order, and
 * refunds of every n-th receipt. Deterministic for a given seed, so a test or a benchmark
 * can regenerate the same file. Streams to disk: a million lines never sit in memory.
 */
export type SampleLedgerOptions = {
  filePath: string;
  developerCount: number;
  appCount: number;
  receiptCount: number;
  /** Every n-th receipt is partly refunded; 0 for none. */
  refundEveryNthReceipt: number;
  seed: number;
  /** First receipt's time; receipts advance by `receiptSpacingSeconds`. */
  startEpochMilliseconds?: number;
  receiptSpacingSeconds?: number;
  /** Prefix of every id, so that several files can share one event store (EventStoreDB streams cannot be dropped). */
  idPrefix?: string;
};

const SAMPLE_LIMITS = { developerCountMaximum: 10_000, appCountMaximum: 100_000, receiptCountMaximum: 20_000_000 };

export function sampleContract(appIndex: number, effectiveFrom: string): Record<string, unknown> {
  return {
    currency: 'USD',
    effectiveFrom,
    platformShare: {
      tiers: [{ upTo: '1000.00', rate: '0%' }, { upTo: '50000.00', rate: '12.5%' }, { rate: '20%' }],
      window: appIndex % 3 === 0 ? 'calendar_month' : appIndex % 3 === 1 ? 'calendar_year' : 'lifetime',
      scope: appIndex % 2 === 0 ? 'app' : 'developer',
    },
    rateMultiplier: appIndex % 4 === 0 ? '50%' : '100%',
    platformCap: { amount: '20000.00', window: 'calendar_month' },
    carveOuts: [
      { party: 'provider:acme-models', rate: '30%', of: 'platform' },
      { party: `referrer:hub-${appIndex % 5}`, rate: '1%', of: 'basis' },
    ],
    holdDays: 14,
    minimumPayout: '50.00',
  };
}

export async function writeSampleLedgerFile(options: SampleLedgerOptions): Promise<{ lineCount: number }> {
  if (options.developerCount < 1 || options.developerCount > SAMPLE_LIMITS.developerCountMaximum) throw new Error('developerCount out of range');
  if (options.appCount < 1 || options.appCount > SAMPLE_LIMITS.appCountMaximum) throw new Error('appCount out of range');
  if (options.receiptCount < 0 || options.receiptCount > SAMPLE_LIMITS.receiptCountMaximum) throw new Error('receiptCount out of range');
  const random = seededRandom(options.seed);
  const prefix = options.idPrefix ?? '';
  const startEpochMilliseconds = options.startEpochMilliseconds ?? Date.UTC(2026, 0, 1);
  const spacingMilliseconds = (options.receiptSpacingSeconds ?? 30) * 1000;
  const output = createWriteStream(options.filePath, { encoding: 'utf8' });
  let lineCount = 0;
  let buffer = '';
  const write = async (command: Record<string, unknown>) => {
    buffer += `${JSON.stringify(command)}\n`;
    lineCount += 1;
    if (buffer.length > 1 << 20) {
      if (!output.write(buffer)) await once(output, 'drain');
      buffer = '';
    }
  };
  const effectiveFrom = new Date(startEpochMilliseconds).toISOString();
  for (let developerIndex = 0; developerIndex < options.developerCount; developerIndex += 1) {
    await write({ type: 'RegisterDeveloper', developerId: `${prefix}dev-${developerIndex}`, name: `Developer ${developerIndex}`, country: ['NG', 'DE', 'BD', 'BR', 'IN'][developerIndex % 5], incomeGroup: ['lower-middle', 'high', 'lower-middle', 'upper-middle', 'lower-middle'][developerIndex % 5] });
  }
  for (let appIndex = 0; appIndex < options.appCount; appIndex += 1) {
    await write({ type: 'RegisterApp', appId: `${prefix}app-${appIndex}`, developerId: `${prefix}dev-${appIndex % options.developerCount}`, name: `App ${appIndex}`, contract: sampleContract(appIndex, effectiveFrom) });
  }
  for (let receiptIndex = 0; receiptIndex < options.receiptCount; receiptIndex += 1) {
    const appIndex = receiptIndex % options.appCount;
    // Random draws are small integers (≤ 200,000), exact in a double; money is bigint at once.
    const amountDraw = 1 + Math.floor(random() * random() * 200_000);
    const amountMinor = BigInt(amountDraw);
    const occurredAt = new Date(startEpochMilliseconds + receiptIndex * spacingMilliseconds).toISOString();
    await write({ type: 'RecordRevenue', receiptId: `${prefix}r-${receiptIndex}`, appId: `${prefix}app-${appIndex}`, amount: formatMoney(amountMinor, 'USD'), currency: 'USD', occurredAt });
    if (options.refundEveryNthReceipt > 0 && receiptIndex % options.refundEveryNthReceipt === options.refundEveryNthReceipt - 1) {
      const refundMinor = BigInt(Math.max(1, Math.floor(amountDraw * random())));
      await write({ type: 'RefundRevenue', refundId: `${prefix}f-${receiptIndex}`, receiptId: `${prefix}r-${receiptIndex}`, amount: formatMoney(refundMinor, 'USD'), occurredAt: new Date(startEpochMilliseconds + receiptIndex * spacingMilliseconds + 3_600_000).toISOString() });
    }
  }
  output.write(buffer);
  output.end();
  await once(output, 'finish');
  return { lineCount };
}

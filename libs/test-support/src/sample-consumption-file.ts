import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

/**
 * Writes a synthetic RSI platform as a JSONL command file: one developer, apps with a
 * simple contract, a USD price book, then `recordCount` consumption records spread over
 * the apps and meters in time order. Deterministic (no randomness at all), streamed to disk.
 */
export type SampleConsumptionOptions = {
  filePath: string;
  appCount: number;
  recordCount: number;
  /** Prefix of every id, so that two files can share a ledger. */
  idPrefix?: string;
  /** Receipts per app, one per app every `recordCount / receiptsPerApp` records; 0 for none. */
  receiptsPerApp?: number;
};

const SAMPLE_LIMITS = { appCountMaximum: 100_000, recordCountMaximum: 20_000_000 };
const METERS = ['tokens.input', 'tokens.output', 'gpu.seconds', 'requests'] as const;
const START_EPOCH_MILLISECONDS = Date.UTC(2026, 0, 1);
/** Records advance by one second: a million records span about 11.6 days. */
const RECORD_SPACING_MILLISECONDS = 1_000;

export const SAMPLE_PRICE_BOOK = {
  type: 'PublishPriceBook', priceBookId: 'usd-sample-2025-12', effectiveFrom: '2025-12-01T00:00:00Z', currency: 'USD',
  meters: {
    'tokens.input': { listPrice: '0.0000005', unitCost: '0.00000015' },
    'tokens.output': { listPrice: '0.0000015', unitCost: '0.0000006' },
    'gpu.seconds': { listPrice: '0.0011', unitCost: '0.0007' },
    requests: { listPrice: '0.0001', unitCost: '0.00002' },
  },
};

/** The quantity of the n-th record, a decimal string: large token counts, fractional GPU seconds. */
export function sampleQuantity(recordIndex: number, meter: string): string {
  switch (meter) {
    case 'tokens.input': return String(200 + (recordIndex % 4_000));
    case 'tokens.output': return String(50 + (recordIndex % 1_500));
    case 'gpu.seconds': return `${recordIndex % 30}.${String(recordIndex % 1000).padStart(3, '0')}`;
    default: return '1';
  }
}

export async function writeSampleConsumptionFile(options: SampleConsumptionOptions): Promise<{ lines: number }> {
  const { appCount, recordCount } = options;
  if (!Number.isInteger(appCount) || appCount < 1 || appCount > SAMPLE_LIMITS.appCountMaximum) throw new Error(`appCount must be 1..${SAMPLE_LIMITS.appCountMaximum}`);
  if (!Number.isInteger(recordCount) || recordCount < 0 || recordCount > SAMPLE_LIMITS.recordCountMaximum) throw new Error(`recordCount must be 0..${SAMPLE_LIMITS.recordCountMaximum}`);
  const prefix = options.idPrefix ?? 'sample';
  const receiptsPerApp = options.receiptsPerApp ?? 0;
  const output = createWriteStream(options.filePath, { encoding: 'utf8' });
  let lines = 0;
  let buffer = '';
  const write = async (value: unknown) => {
    buffer += `${JSON.stringify(value)}\n`;
    lines += 1;
    if (buffer.length >= 1 << 20) {
      if (!output.write(buffer)) await once(output, 'drain');
      buffer = '';
    }
  };
  const developerId = `${prefix}-developer`;
  await write({ type: 'RegisterDeveloper', developerId, name: 'Sample Developer', country: 'KE', incomeGroup: 'lower-middle' });
  for (let appIndex = 0; appIndex < appCount; appIndex += 1) {
    await write({
      type: 'RegisterApp', appId: `${prefix}-app-${appIndex}`, developerId, name: `Sample App ${appIndex}`,
      contract: {
        currency: 'USD', effectiveFrom: '2025-12-01T00:00:00Z',
        platformShare: { tiers: [{ rate: '15%' }], window: 'lifetime', scope: 'app' },
        holdDays: 14, minimumPayout: '50.00',
      },
    });
  }
  await write({ ...SAMPLE_PRICE_BOOK, priceBookId: `${prefix}-${SAMPLE_PRICE_BOOK.priceBookId}` });
  const receiptEvery = receiptsPerApp > 0 ? Math.max(1, Math.floor(recordCount / (receiptsPerApp * appCount))) : 0;
  for (let recordIndex = 0; recordIndex < recordCount; recordIndex += 1) {
    const appId = `${prefix}-app-${recordIndex % appCount}`;
    const meter = METERS[Math.floor(recordIndex / appCount) % METERS.length]!;
    const occurredAt = new Date(START_EPOCH_MILLISECONDS + recordIndex * RECORD_SPACING_MILLISECONDS).toISOString();
    await write({ type: 'RecordConsumption', recordId: `${prefix}-c${recordIndex}`, appId, meter, quantity: sampleQuantity(recordIndex, meter), occurredAt });
    if (receiptEvery > 0 && recordIndex % receiptEvery === 0) {
      await write({ type: 'RecordRevenue', receiptId: `${prefix}-r${recordIndex}`, appId, amount: `${10 + (recordIndex % 90)}.99`, currency: 'USD', occurredAt });
    }
  }
  output.write(buffer);
  output.end();
  await once(output, 'finish');
  return { lines };
}

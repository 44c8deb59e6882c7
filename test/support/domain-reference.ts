import * as fs from 'node:fs';
import {
  evolveDeveloper, formatMoney, initialDeveloperState, type DeveloperCommand, type DeveloperState,
} from '@rsi/domain';
import { decideAsLedger } from '@rsi/domain/testing';

/**
 * The same file decided by the pure domain alone, in memory: the reference for every split.
 * `bookedAt` is the booking time of every command; the default lies after every business
 * time of the sample files (2026).
 */
export function decideFileInMemory(filePath: string, bookedAt = '2027-01-01T00:00:00.000Z'): Map<string, { party: string; amount: string }[]> {
  const states = new Map<string, DeveloperState>();
  const developerOfApp = new Map<string, string>();
  const developerOfReceipt = new Map<string, string>();
  const splits = new Map<string, { party: string; amount: string }[]>();
  for (const line of fs.readFileSync(filePath, 'utf8').split('\n')) {
    if (line === '') continue;
    const { type, ...data } = JSON.parse(line) as { type: DeveloperCommand['type'] } & Record<string, string>;
    const developerId = data.developerId ?? developerOfApp.get(data.appId) ?? developerOfReceipt.get(data.receiptId);
    const command = { type, data } as unknown as DeveloperCommand;
    let state = states.get(developerId) ?? initialDeveloperState();
    // As the ledger decides: a registration's name protected first (names play no part in splits).
    for (const event of decideAsLedger(command, state, { bookedAt })) {
      state = evolveDeveloper(state, event);
      if (event.type === 'AppRegistered') developerOfApp.set(event.data.appId, developerId);
      if (event.type === 'RevenueRecorded') {
        developerOfReceipt.set(event.data.receiptId, developerId);
        splits.set(event.data.receiptId, event.data.lines.map((split) => ({ party: split.party, amount: formatMoney(split.amountMinor, event.data.currency) })));
      }
    }
    states.set(developerId, state);
  }
  return splits;
}


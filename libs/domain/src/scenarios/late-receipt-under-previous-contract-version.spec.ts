import { RevenueRecorded } from '../ledger.events';
import {
  amendContract, contractTerms, given, history, platformShare, recordRevenue, registerApp, registerDeveloper, run,
} from '../testing/developer-decider.support';

const version1 = contractTerms({ platformShare: platformShare([{ rate: '15%' }]) });
const version2 = contractTerms({ effectiveFrom: '2026-03-01T00:00:00Z', platformShare: platformShare([{ rate: '10%' }]) });

describe('a late receipt is split by the version in effect when it occurred', () => {
  const commands = [
    registerDeveloper(),
    registerApp('app-1', version1),
    recordRevenue('r-1', 'app-1', '100.00', '2026-02-10T00:00:00Z'),
    amendContract('app-1', version2),
    recordRevenue('r-2', 'app-1', '100.00', '2026-03-05T00:00:00Z'),
    recordRevenue('r-late', 'app-1', '100.00', '2026-02-20T00:00:00Z'),
  ];
  const { events } = run(commands);
  const recorded = events.filter((event): event is RevenueRecorded => event.type === 'RevenueRecorded');

  it('uses version 1 for February receipts, even when recorded after the amendment', () => {
    expect(recorded.map((event) => [event.data.receiptId, event.data.contractVersion, event.data.lines[0]!.amountMinor])).toEqual([
      ['r-1', 1, 1500n],
      ['r-2', 2, 1000n],
      ['r-late', 1, 1500n],
    ]);
  });

  it('refuses an amendment effective at or before a recorded receipt', () => {
    given(history(commands))
      .when(amendContract('app-1', contractTerms({ effectiveFrom: '2026-03-05T00:00:00Z', platformShare: platformShare([{ rate: '5%' }]) })))
      .thenRefused('amendment_not_after_recorded_receipt', 'conflict');
  });

  it('still refuses a receipt before the first version', () => {
    given(history(commands)).when(recordRevenue('r-old', 'app-1', '1.00', '2025-12-31T00:00:00Z')).thenRefused('receipt_before_first_contract_version', 'invalid');
  });
});

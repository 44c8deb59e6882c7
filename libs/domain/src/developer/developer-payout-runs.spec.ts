import { IDENTIFIER_LENGTH_MAXIMUM } from '../limits/ledger-limits';
import { DeveloperCommand } from '../ledger.commands';
import {
  DEVELOPER_ID, given, history, recordRevenue, registerApp, registerDeveloper, requestPayout,
} from '../testing/developer-decider.support';
import { runPayoutId } from './developer.decider';

const assess = (runId: string, asOf: string, developerId = DEVELOPER_ID, currency = 'USD'): DeveloperCommand => ({
  type: 'AssessRunPayout', data: { runId, developerId, currency, asOf },
});

// 2000.00 on 0% up to 1000.00, 15% above: developer 1850.00, available from 2026-01-24; minimum payout 50.00.
const credited = history([registerDeveloper(), registerApp('app-1'), recordRevenue('r-1', 'app-1', '2000.00', '2026-01-10T00:00:00Z')]);

describe('AssessRunPayout (one developer\'s part of RunPayouts)', () => {
  it('pays the whole available balance when it reaches the minimum payout, with the payout id derived from the run', () => {
    given(credited).when(assess('run-1', '2026-02-01T00:00:00Z')).then([
      {
        type: 'PayoutRunAssessed',
        data: {
          runId: 'run-1', developerId: DEVELOPER_ID, currency: 'USD', asOf: '2026-02-01T00:00:00.000Z', availableMinor: 185000n,
          minimumPayoutMinor: 5000n, payoutId: 'run-1:dev-1',
        },
      },
      { type: 'PayoutRequested', data: { payoutId: 'run-1:dev-1', developerId: DEVELOPER_ID, currency: 'USD', amountMinor: 185000n, requestedAt: '2026-02-01T00:00:00.000Z' } },
    ]);
  });

  it('records the assessment without a payout below the minimum, while credits are pending, or when the balance is negative or zero', () => {
    const small = history([registerDeveloper(), registerApp('app-1'), recordRevenue('r-1', 'app-1', '10.00', '2026-01-10T00:00:00Z')]);
    const [smallAssessment] = given(small).when(assess('run-1', '2026-02-01T00:00:00Z')).thenEvents();
    expect(smallAssessment!.data).toMatchObject({ availableMinor: 1000n, payoutId: null });
    const pending = given(credited).when(assess('run-1', '2026-01-20T00:00:00Z')).thenEvents();
    expect(pending).toHaveLength(1);
    expect(pending[0]!.data).toMatchObject({ availableMinor: 0n, payoutId: null });
    const paidOut = history([...[registerDeveloper(), registerApp('app-1'), recordRevenue('r-1', 'app-1', '2000.00', '2026-01-10T00:00:00Z')], requestPayout('p-1', '1850.00', '2026-02-01T00:00:00Z')]);
    expect(given(paidOut).when(assess('run-1', '2026-02-02T00:00:00Z')).thenEvents()).toHaveLength(1);
  });

  it('decides nothing when the run id was assessed before, whatever the balance has become', () => {
    const small = history([
      registerDeveloper(), registerApp('app-1'), recordRevenue('r-1', 'app-1', '10.00', '2026-01-10T00:00:00Z'), assess('run-1', '2026-02-01T00:00:00Z'),
      recordRevenue('r-2', 'app-1', '500.00', '2026-01-11T00:00:00Z'),
    ]);
    given(small).when(assess('run-1', '2026-02-01T00:00:00Z')).then([]);
    expect(given(small).when(assess('run-2', '2026-02-01T00:00:00Z')).thenEvents()).toHaveLength(2);
  });

  it('refuses a run whose payout id another payout already has, and a run id over its limit', () => {
    const taken = history([
      registerDeveloper(), registerApp('app-1'), recordRevenue('r-1', 'app-1', '2000.00', '2026-01-10T00:00:00Z'), requestPayout('run-1:dev-1', '100.00', '2026-02-01T00:00:00Z'),
    ]);
    given(taken).when(assess('run-1', '2026-02-02T00:00:00Z')).thenRefused('payout_run_id_taken', 'conflict', 'runId');
    given(credited).when(assess('r'.repeat(65), '2026-02-01T00:00:00Z')).thenRefused('field_invalid', 'invalid', 'runId');
  });

  it('derives a payout id within the identifier limit for a long developer id', () => {
    const longDeveloperId = 'd'.repeat(IDENTIFIER_LENGTH_MAXIMUM);
    const payoutId = runPayoutId('r'.repeat(64), longDeveloperId);
    expect(payoutId.length).toBeLessThanOrEqual(IDENTIFIER_LENGTH_MAXIMUM);
    expect(payoutId).toMatch(/^r{64}:[0-9a-f]{32}$/);
    expect(runPayoutId('run-1', 'dev-1')).toBe('run-1:dev-1');
  });
});

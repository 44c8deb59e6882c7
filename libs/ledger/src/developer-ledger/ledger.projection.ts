import type { RecordedEvent } from '@rsi/event-store';
import {
  assertInvariant, decodeDeveloperEvent, PAYOUTS_IN_FLIGHT_ACCOUNT, PAYOUTS_SETTLED_ACCOUNT, REVENUE_CLEARING_ACCOUNT, ERASED_MARKER, isProtectedText,
  DISPUTES_HELD_ACCOUNT, DISPUTE_FEES_ACCOUNT, PLATFORM_PARTY,
} from '@rsi/domain';
import type { PoolClient } from 'pg';
import type { DeveloperEvent, DeveloperRegistered, SplitLine } from '@rsi/domain';
import { displayedName, KEYS_PER_READ_MAXIMUM, readDataKeys, type DataKeyState } from '@rsi/database';
import { bulkAppend, bulkInsert, quoteIdentifier } from '@rsi/projections';
import type { ProjectionContext, ProjectionHandler, TableMergeRule } from '@rsi/projections';
import {
  APPS_TABLE, CONTRACT_VERSIONS_TABLE, DEVELOPER_BALANCES_TABLE, DEVELOPERS_TABLE, DIRECTORY_PAYOUTS_TABLE, DISPUTES_TABLE, LEDGER_POSTINGS_TABLE, PAYOUT_RUNS_TABLE,
  LEDGER_TABLES, PAYOUTS_TABLE, PLATFORM_SHARE_MONTHLY_TABLE, REFUNDS_TABLE, SPLITS_TABLE,
} from './ledger.tables';

/** Event types of the developer stream that this projection reads. */
const DEVELOPER_EVENT_TYPES: ReadonlySet<string> = new Set([
  'DeveloperRegistered', 'PersonalDataErased', 'AppRegistered', 'ContractAmended', 'RevenueRecorded', 'RevenueRefunded',
  'PayoutRequested', 'PayoutSettled', 'PayoutFailed', 'DisputeOpened', 'DisputeResolved', 'PayoutRunAssessed',
]);

/**
 * The system accounts are named by the domain (contract/party-namespace.ts), which keeps
 * their namespace out of every contract's reach.
 */
export { REVENUE_CLEARING_ACCOUNT, PAYOUTS_IN_FLIGHT_ACCOUNT, PAYOUTS_SETTLED_ACCOUNT, DISPUTES_HELD_ACCOUNT, DISPUTE_FEES_ACCOUNT } from '@rsi/domain';

export type Posting = { account: string; currency: string; amountMinor: bigint };

/**
 * The double-entry postings of one event. Positive credits the account, negative debits
 * it. Every event's postings sum to zero per currency: asserted here, where they are made.
 */
export function postingsOf(event: DeveloperEvent): Posting[] {
  const postings: Posting[] = [];
  switch (event.type) {
    case 'RevenueRecorded':
      postings.push({ account: REVENUE_CLEARING_ACCOUNT, currency: event.data.currency, amountMinor: -event.data.amountMinor });
      for (const line of event.data.lines) postings.push({ account: line.party, currency: event.data.currency, amountMinor: line.amountMinor });
      break;
    case 'RevenueRefunded':
      postings.push({ account: REVENUE_CLEARING_ACCOUNT, currency: event.data.currency, amountMinor: event.data.amountMinor });
      for (const line of event.data.lines) postings.push({ account: line.party, currency: event.data.currency, amountMinor: -line.amountMinor });
      break;
    case 'PayoutRequested':
      postings.push({ account: `developer:${event.data.developerId}`, currency: event.data.currency, amountMinor: -event.data.amountMinor });
      postings.push({ account: PAYOUTS_IN_FLIGHT_ACCOUNT, currency: event.data.currency, amountMinor: event.data.amountMinor });
      break;
    case 'PayoutSettled':
      postings.push({ account: PAYOUTS_IN_FLIGHT_ACCOUNT, currency: event.data.currency, amountMinor: -event.data.amountMinor });
      postings.push({ account: PAYOUTS_SETTLED_ACCOUNT, currency: event.data.currency, amountMinor: event.data.amountMinor });
      break;
    case 'PayoutFailed':
      postings.push({ account: PAYOUTS_IN_FLIGHT_ACCOUNT, currency: event.data.currency, amountMinor: -event.data.amountMinor });
      postings.push({ account: `developer:${event.data.developerId}`, currency: event.data.currency, amountMinor: event.data.amountMinor });
      break;
    case 'DisputeOpened': {
      // The reversed lines are held; the fee is charged to its bearer and owed to the provider.
      const data = event.data;
      for (const line of data.lines) postings.push({ account: line.party, currency: data.currency, amountMinor: -line.amountMinor });
      postings.push({ account: DISPUTES_HELD_ACCOUNT, currency: data.currency, amountMinor: data.amountMinor });
      if (data.feeMinor !== 0n) {
        const bearer = data.feeBearer === 'platform' ? PLATFORM_PARTY : `developer:${data.developerId}`;
        postings.push({ account: bearer, currency: data.currency, amountMinor: -data.feeMinor });
        postings.push({ account: DISPUTE_FEES_ACCOUNT, currency: data.currency, amountMinor: data.feeMinor });
      }
      break;
    }
    case 'DisputeResolved': {
      // Won: the held lines go back to the parties. Lost: the held amount goes back to the customer, like a refund.
      const data = event.data;
      postings.push({ account: DISPUTES_HELD_ACCOUNT, currency: data.currency, amountMinor: -data.amountMinor });
      if (data.outcome === 'won') {
        for (const line of data.lines) postings.push({ account: line.party, currency: data.currency, amountMinor: line.amountMinor });
      } else {
        postings.push({ account: REVENUE_CLEARING_ACCOUNT, currency: data.currency, amountMinor: data.amountMinor });
      }
      break;
    }
    default:
      break;
  }
  const sumByCurrency = new Map<string, bigint>();
  for (const posting of postings) sumByCurrency.set(posting.currency, (sumByCurrency.get(posting.currency) ?? 0n) + posting.amountMinor);
  for (const [currency, sum] of sumByCurrency) {
    if (sum !== 0n) throw new Error(`invariant: postings of ${event.type} sum to ${sum} ${currency}, not zero`);
  }
  return postings;
}

function developerPartyOf(developerId: string): string {
  return `developer:${developerId}`;
}

function developerAmountOf(lines: readonly SplitLine[], developerId: string): bigint {
  const party = developerPartyOf(developerId);
  let amountMinor = 0n;
  for (const line of lines) if (line.party === party) amountMinor += line.amountMinor;
  return amountMinor;
}

function linesJson(lines: readonly SplitLine[]): string {
  return JSON.stringify(lines.map((line) => ({ party: line.party, amountMinor: line.amountMinor.toString() })));
}

type BalanceDelta = {
  creditedMinor: bigint; refundedMinor: bigint; inFlightMinor: bigint; paidMinor: bigint; disputedMinor: bigint; disputeLostMinor: bigint; disputeFeesMinor: bigint;
};
type ShareDelta = { splitMinor: bigint; reversedMinor: bigint };
type PayoutOutcome = { payoutId: string; status: 'settled' | 'failed'; at: string; reference: string | null; failureReason: string | null };
type DisputeOutcomeRow = { disputeId: string; status: 'won' | 'lost'; resolvedAt: string };

/**
 * Splits, refunds, payouts, developer balances, platform share per month, ledger postings
 * (one row per event; the view `ledger_entries` has one row per posting), and the payout
 * directory. Commands that name only a receipt are routed by `splits`, only an app by `apps`.
 */
/**
 * Rows of `developers`: the name is personal data, shown decrypted while its data key
 * exists and `[erased]` once it was destroyed (docs/audit.md "Personal data").
 */
async function developerRows(
  client: PoolClient, registrations: readonly DeveloperRegistered['data'][], registeredAt: readonly string[], erasedDeveloperIds: ReadonlySet<string>,
): Promise<ReturnType<typeof DEVELOPERS_TABLE.rows>> {
  const developerIds = registrations.filter((data) => isProtectedText(data.name)).map((data) => data.developerId);
  const keys = new Map<string, DataKeyState>();
  // In reads of bounded size: a replay's batch may hold more registrations than one read takes.
  for (let start = 0; start < developerIds.length; start += KEYS_PER_READ_MAXIMUM) {
    for (const [developerId, key] of await readDataKeys(client, developerIds.slice(start, start + KEYS_PER_READ_MAXIMUM))) keys.set(developerId, key);
  }
  const developers = DEVELOPERS_TABLE.rows();
  registrations.forEach((data, index) => developers.add({
    developer_id: data.developerId, name: displayedName(data.name, keys.get(data.developerId), erasedDeveloperIds.has(data.developerId)),
    country: data.country, income_group: data.incomeGroup, registered_at: registeredAt[index]!,
  }));
  return developers;
}

export class LedgerProjection implements ProjectionHandler {
  readonly name = 'ledger';
  readonly tables = LEDGER_TABLES.map((table) => table.name);
  readonly insertOnlyTables = [SPLITS_TABLE.name, REFUNDS_TABLE.name, LEDGER_POSTINGS_TABLE.name];
  /**
   * How a parallel rebuild merges the shares' rows (docs/architecture.md "Parallel replay").
   * Every event this projection reads is in a developer's stream (`developer-<id>`), and
   * every row it UPDATEs later (a payout's outcome, a dispute's resolution, an app's latest
   * contract version, an erased name) was inserted by an earlier event of the same stream:
   * so those rows are whole in one share, and only the totals keyed across developers
   * (platform share per month, party and currency) add up from several shares. It reads no
   * read-model row (the names' data keys are not a read model: the same for every share).
   */
  readonly mergeRules: Readonly<Record<string, TableMergeRule>> = {
    [DEVELOPERS_TABLE.name]: { kind: 'append' }, [APPS_TABLE.name]: { kind: 'append' }, [CONTRACT_VERSIONS_TABLE.name]: { kind: 'append' },
    [DIRECTORY_PAYOUTS_TABLE.name]: { kind: 'append' }, [SPLITS_TABLE.name]: { kind: 'append' }, [REFUNDS_TABLE.name]: { kind: 'append' },
    [PAYOUTS_TABLE.name]: { kind: 'append' }, [LEDGER_POSTINGS_TABLE.name]: { kind: 'append' }, [DISPUTES_TABLE.name]: { kind: 'append' },
    [PAYOUT_RUNS_TABLE.name]: { kind: 'append' },
    [DEVELOPER_BALANCES_TABLE.name]: {
      kind: 'combine', key: ['developer_id', 'currency'],
      sum: ['credited_minor', 'refunded_minor', 'payouts_in_flight_minor', 'paid_minor', 'disputed_minor', 'dispute_lost_minor', 'dispute_fees_minor'],
    },
    [PLATFORM_SHARE_MONTHLY_TABLE.name]: { kind: 'combine', key: ['currency', 'month', 'party'], sum: ['split_minor', 'reversed_minor'] },
  };

  async applyBatch(events: readonly RecordedEvent[], context: ProjectionContext): Promise<void> {
    const registrations: DeveloperRegistered['data'][] = [];
    const registeredAt: string[] = [];
    const erasedDeveloperIds = new Set<string>();
    const apps = APPS_TABLE.rows();
    const contractVersions = CONTRACT_VERSIONS_TABLE.rows();
    const appVersionUpdates: { appId: string; contractVersion: number }[] = [];
    const splits = SPLITS_TABLE.rows();
    const refunds = REFUNDS_TABLE.rows();
    const payoutRequests = PAYOUTS_TABLE.rows();
    const payoutDirectory = DIRECTORY_PAYOUTS_TABLE.rows();
    const payoutOutcomes: PayoutOutcome[] = [];
    const disputesOpened = DISPUTES_TABLE.rows();
    const disputeOutcomes: DisputeOutcomeRow[] = [];
    const payoutRuns = PAYOUT_RUNS_TABLE.rows();
    const ledgerPostings = LEDGER_POSTINGS_TABLE.rows();
    const balanceDeltas = new Map<string, BalanceDelta>();
    const shareDeltas = new Map<string, ShareDelta>();

    const balanceDelta = (developerId: string, currency: string): BalanceDelta => {
      const key = `${developerId}\u0000${currency}`;
      let delta = balanceDeltas.get(key);
      if (!delta) {
        delta = { creditedMinor: 0n, refundedMinor: 0n, inFlightMinor: 0n, paidMinor: 0n, disputedMinor: 0n, disputeLostMinor: 0n, disputeFeesMinor: 0n };
        balanceDeltas.set(key, delta);
      }
      return delta;
    };
    const shareDelta = (currency: string, month: string, party: string): ShareDelta => {
      const key = `${currency}\u0000${month}\u0000${party}`;
      let delta = shareDeltas.get(key);
      if (!delta) { delta = { splitMinor: 0n, reversedMinor: 0n }; shareDeltas.set(key, delta); }
      return delta;
    };

    for (const recorded of events) {
      if (!DEVELOPER_EVENT_TYPES.has(recorded.type)) continue;
      const event = decodeDeveloperEvent(recorded.type, recorded.data);
      const recordedAt = recorded.metadata.recordedAt;
      const { commit, prepare } = recorded.globalPosition;
      let occurredAt = recordedAt;
      switch (event.type) {
        case 'DeveloperRegistered':
          registrations.push(event.data);
          registeredAt.push(recordedAt);
          break;
        case 'PersonalDataErased':
          erasedDeveloperIds.add(event.data.developerId);
          break;
        case 'AppRegistered': {
          const contract = event.data.contract;
          const currency = String((contract.terms as { currency?: unknown }).currency);
          apps.add({
            app_id: event.data.appId, developer_id: event.data.developerId, name: event.data.name, currency,
            latest_contract_version: contract.version, registered_at: recordedAt,
          });
          contractVersions.add({
            app_id: event.data.appId, contract_version: contract.version, contract_hash: contract.hash,
            effective_from: contract.effectiveFrom, terms: JSON.stringify(contract.terms), recorded_at: recordedAt,
          });
          break;
        }
        case 'ContractAmended': {
          const contract = event.data.contract;
          contractVersions.add({
            app_id: event.data.appId, contract_version: contract.version, contract_hash: contract.hash,
            effective_from: contract.effectiveFrom, terms: JSON.stringify(contract.terms), recorded_at: recordedAt,
          });
          appVersionUpdates.push({ appId: event.data.appId, contractVersion: contract.version });
          break;
        }
        case 'RevenueRecorded': {
          const data = event.data;
          occurredAt = data.occurredAt;
          const developerMinor = developerAmountOf(data.lines, data.developerId);
          const platformMinor = data.lines.find((line) => line.party === 'platform')?.amountMinor ?? 0n;
          splits.add({
            receipt_id: data.receiptId, app_id: data.appId, developer_id: data.developerId, currency: data.currency,
            amount_minor: data.amountMinor, occurred_at: data.occurredAt, available_at: data.availableAt, recorded_at: recordedAt,
            contract_version: data.contractVersion, contract_hash: data.contractHash, split_rule_version: data.splitRuleVersion,
            platform_minor: platformMinor, developer_minor: developerMinor, lines: linesJson(data.lines), event_id: recorded.eventId,
            commit_position: commit, prepare_position: prepare, reserve_minor: data.reserveMinor ?? 0n, reserve_released_at: data.reserveReleasedAt ?? null,
            category: data.category,
          });
          balanceDelta(data.developerId, data.currency).creditedMinor += developerMinor;
          const month = data.occurredAt.slice(0, 7);
          for (const line of data.lines) {
            if (line.party === developerPartyOf(data.developerId)) continue;
            shareDelta(data.currency, month, line.party).splitMinor += line.amountMinor;
          }
          break;
        }
        case 'RevenueRefunded': {
          const data = event.data;
          occurredAt = data.occurredAt;
          const developerMinor = developerAmountOf(data.lines, data.developerId);
          refunds.add({
            refund_id: data.refundId, receipt_id: data.receiptId, app_id: data.appId, developer_id: data.developerId,
            currency: data.currency, amount_minor: data.amountMinor, occurred_at: data.occurredAt, recorded_at: recordedAt,
            contract_version: data.contractVersion, contract_hash: data.contractHash, split_rule_version: data.splitRuleVersion,
            developer_minor: developerMinor, lines: linesJson(data.lines), event_id: recorded.eventId,
            commit_position: commit, prepare_position: prepare, category: data.category,
          });
          balanceDelta(data.developerId, data.currency).refundedMinor += developerMinor;
          const month = data.occurredAt.slice(0, 7);
          for (const line of data.lines) {
            if (line.party === developerPartyOf(data.developerId)) continue;
            shareDelta(data.currency, month, line.party).reversedMinor += line.amountMinor;
          }
          break;
        }
        case 'PayoutRequested': {
          const data = event.data;
          occurredAt = data.requestedAt;
          payoutRequests.add({
            payout_id: data.payoutId, developer_id: data.developerId, currency: data.currency, amount_minor: data.amountMinor,
            status: 'requested', requested_at: data.requestedAt, settled_at: null, failed_at: null, reference: null, failure_reason: null,
            payout_currency: data.conversion?.payoutCurrency ?? null, payout_amount_minor: data.conversion?.payoutAmountMinor ?? null,
            fx_rate: data.conversion?.fxRate ?? null, fx_source: data.conversion?.fxSource ?? null, fx_rule_version: data.conversion?.fxRuleVersion ?? null,
          });
          payoutDirectory.add({ payout_id: data.payoutId, developer_id: data.developerId });
          balanceDelta(data.developerId, data.currency).inFlightMinor += data.amountMinor;
          break;
        }
        case 'PayoutSettled': {
          const data = event.data;
          occurredAt = data.settledAt;
          payoutOutcomes.push({ payoutId: data.payoutId, status: 'settled', at: data.settledAt, reference: data.reference, failureReason: null });
          const delta = balanceDelta(data.developerId, data.currency);
          delta.inFlightMinor -= data.amountMinor;
          delta.paidMinor += data.amountMinor;
          break;
        }
        case 'PayoutFailed': {
          const data = event.data;
          occurredAt = data.failedAt;
          payoutOutcomes.push({ payoutId: data.payoutId, status: 'failed', at: data.failedAt, reference: null, failureReason: data.reason });
          balanceDelta(data.developerId, data.currency).inFlightMinor -= data.amountMinor;
          break;
        }
        case 'DisputeOpened': {
          const data = event.data;
          occurredAt = data.openedAt;
          const developerMinor = developerAmountOf(data.lines, data.developerId);
          disputesOpened.add({
            dispute_id: data.disputeId, receipt_id: data.receiptId, app_id: data.appId, developer_id: data.developerId, currency: data.currency,
            amount_minor: data.amountMinor, fee_minor: data.feeMinor, fee_bearer: data.feeBearer, developer_minor: developerMinor,
            lines: linesJson(data.lines), status: 'open', opened_at: data.openedAt, resolved_at: null, recorded_at: recordedAt,
          });
          const delta = balanceDelta(data.developerId, data.currency);
          delta.disputedMinor += developerMinor;
          if (data.feeBearer === 'developer') delta.disputeFeesMinor += data.feeMinor;
          break;
        }
        case 'PayoutRunAssessed': {
          const data = event.data;
          occurredAt = data.asOf;
          payoutRuns.add({
            run_id: data.runId, developer_id: data.developerId, currency: data.currency, as_of: data.asOf, available_minor: data.availableMinor,
            minimum_payout_minor: data.minimumPayoutMinor, payout_id: data.payoutId, recorded_at: recordedAt,
          });
          break;
        }
        case 'DisputeResolved': {
          const data = event.data;
          occurredAt = data.resolvedAt;
          disputeOutcomes.push({ disputeId: data.disputeId, status: data.outcome, resolvedAt: data.resolvedAt });
          const developerMinor = developerAmountOf(data.lines, data.developerId);
          const delta = balanceDelta(data.developerId, data.currency);
          delta.disputedMinor -= developerMinor;
          if (data.outcome === 'lost') {
            // A lost dispute is a final reversal: the platform share of its month shows it as reversed.
            delta.disputeLostMinor += developerMinor;
            const month = data.resolvedAt.slice(0, 7);
            for (const line of data.lines) {
              if (line.party === developerPartyOf(data.developerId)) continue;
              shareDelta(data.currency, month, line.party).reversedMinor += line.amountMinor;
            }
          }
          break;
        }
      }
      const postings = postingsOf(event);
      if (postings.length > 0) {
        const currency = postings[0]!.currency;
        assertInvariant(postings.every((posting) => posting.currency === currency), `postings of ${event.type} are in one currency`);
        ledgerPostings.add({
          commit_position: commit, prepare_position: prepare, event_id: recorded.eventId, event_type: event.type, currency,
          accounts: postings.map((posting) => posting.account), amounts_minor: postings.map((posting) => posting.amountMinor),
          occurred_at: occurredAt, recorded_at: recordedAt,
          // Only what is not a purchase: the view ledger_entries says purchase for the rest (migration 0017).
          category: (event.type === 'RevenueRecorded' || event.type === 'RevenueRefunded') && event.data.category !== 'purchase' ? event.data.category : null,
        });
      }
    }

    const { client, schema } = context;
    const table = (name: string) => `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
    const developers = await developerRows(client, registrations, registeredAt, erasedDeveloperIds);
    await bulkAppend(context, developers);
    if (erasedDeveloperIds.size > 0) {
      await client.query(`UPDATE ${table(DEVELOPERS_TABLE.name)} SET name = $1 WHERE developer_id = ANY($2::text[])`, [ERASED_MARKER, [...erasedDeveloperIds]]);
    }
    await bulkAppend(context, apps);
    await bulkAppend(context, contractVersions);
    for (const { appId, contractVersion } of appVersionUpdates) {
      await client.query(`UPDATE ${table(APPS_TABLE.name)} SET latest_contract_version = $2 WHERE app_id = $1`, [appId, contractVersion]);
    }
    await bulkAppend(context, splits);
    await bulkAppend(context, refunds);
    await bulkAppend(context, payoutRequests);
    await bulkAppend(context, payoutDirectory);
    for (const { payoutId, status, at, reference, failureReason } of payoutOutcomes) {
      const result = await client.query(
        `UPDATE ${table(PAYOUTS_TABLE.name)} SET status = $2,
           settled_at = CASE WHEN $2 = 'settled' THEN $3::timestamptz END,
           failed_at = CASE WHEN $2 = 'failed' THEN $3::timestamptz END,
           reference = $4, failure_reason = $5
         WHERE payout_id = $1 AND status = 'requested'`,
        [payoutId, status, at, reference, failureReason],
      );
      if (result.rowCount !== 1) throw new Error(`invariant: payout ${payoutId} was not pending when it became ${status}`);
    }
    await bulkAppend(context, disputesOpened);
    await bulkAppend(context, payoutRuns);
    for (const { disputeId, status, resolvedAt } of disputeOutcomes) {
      const result = await client.query(
        `UPDATE ${table(DISPUTES_TABLE.name)} SET status = $2, resolved_at = $3::timestamptz WHERE dispute_id = $1 AND status = 'open'`,
        [disputeId, status, resolvedAt],
      );
      if (result.rowCount !== 1) throw new Error(`invariant: dispute ${disputeId} was not open when it was ${status}`);
    }
    if (balanceDeltas.size > 0) {
      const balances = DEVELOPER_BALANCES_TABLE.rows();
      for (const [key, delta] of balanceDeltas) {
        const [developerId, currency] = key.split('\u0000');
        balances.add({
          developer_id: developerId!, currency: currency!, credited_minor: delta.creditedMinor, refunded_minor: delta.refundedMinor,
          payouts_in_flight_minor: delta.inFlightMinor, paid_minor: delta.paidMinor, disputed_minor: delta.disputedMinor,
          dispute_lost_minor: delta.disputeLostMinor, dispute_fees_minor: delta.disputeFeesMinor,
        });
      }
      await bulkInsert(context, balances, `ON CONFLICT (developer_id, currency) DO UPDATE SET
          credited_minor = developer_balances.credited_minor + EXCLUDED.credited_minor,
          refunded_minor = developer_balances.refunded_minor + EXCLUDED.refunded_minor,
          payouts_in_flight_minor = developer_balances.payouts_in_flight_minor + EXCLUDED.payouts_in_flight_minor,
          paid_minor = developer_balances.paid_minor + EXCLUDED.paid_minor,
          disputed_minor = developer_balances.disputed_minor + EXCLUDED.disputed_minor,
          dispute_lost_minor = developer_balances.dispute_lost_minor + EXCLUDED.dispute_lost_minor,
          dispute_fees_minor = developer_balances.dispute_fees_minor + EXCLUDED.dispute_fees_minor`);
    }
    if (shareDeltas.size > 0) {
      const shares = PLATFORM_SHARE_MONTHLY_TABLE.rows();
      for (const [key, delta] of shareDeltas) {
        const [currency, month, party] = key.split('\u0000');
        shares.add({ currency: currency!, month: month!, party: party!, split_minor: delta.splitMinor, reversed_minor: delta.reversedMinor });
      }
      await bulkInsert(context, shares, `ON CONFLICT (currency, month, party) DO UPDATE SET
          split_minor = platform_share_monthly.split_minor + EXCLUDED.split_minor,
          reversed_minor = platform_share_monthly.reversed_minor + EXCLUDED.reversed_minor`);
    }
    await bulkAppend(context, ledgerPostings);
  }
}

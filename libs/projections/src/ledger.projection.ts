import type { RecordedEvent } from '../../event-store/src/event-store.port';
import { assertInvariant, decodeDeveloperEvent, PAYOUTS_IN_FLIGHT_ACCOUNT, PAYOUTS_SETTLED_ACCOUNT, REVENUE_CLEARING_ACCOUNT } from '../../domain/src';
import type { PoolClient } from 'pg';
import { ERASED_MARKER, isProtectedText } from '../../domain/src/developer/personal-data';
import type { DeveloperEvent, DeveloperRegistered, SplitLine } from '../../domain/src/ledger.events';
import { displayedName, KEYS_PER_READ_MAXIMUM, readDataKeys, type DataKeyState } from '../../database/src/personal-data-keys';
import { bulkAppend, bulkInsert } from './sql-bulk';
import type { ProjectionContext, ProjectionHandler } from './projection.handler';
import { quoteIdentifier } from './sql-bulk';

/** Event types of the developer stream that this projection reads. */
const DEVELOPER_EVENT_TYPES: ReadonlySet<string> = new Set([
  'DeveloperRegistered', 'PersonalDataErased', 'AppRegistered', 'ContractAmended', 'RevenueRecorded', 'RevenueRefunded',
  'PayoutRequested', 'PayoutSettled', 'PayoutFailed',
]);

/**
 * The system accounts are named by the domain (contract/party-namespace.ts), which keeps
 * their namespace out of every contract's reach.
 */
export { REVENUE_CLEARING_ACCOUNT, PAYOUTS_IN_FLIGHT_ACCOUNT, PAYOUTS_SETTLED_ACCOUNT } from '../../domain/src';

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

/** A PostgreSQL array literal of text: every element quoted, `"` and `\` escaped. */
export function textArrayLiteral(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

/** A PostgreSQL array literal of integers (minor units): decimal digits and a sign, nothing to quote. */
export function numericArrayLiteral(values: readonly bigint[]): string {
  return `{${values.join(',')}}`;
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

type BalanceDelta = { creditedMinor: bigint; refundedMinor: bigint; inFlightMinor: bigint; paidMinor: bigint };
type ShareDelta = { splitMinor: bigint; reversedMinor: bigint };

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
): Promise<(string | null)[][]> {
  const developerIds = registrations.filter((data) => isProtectedText(data.name)).map((data) => data.developerId);
  const keys = new Map<string, DataKeyState>();
  // In reads of bounded size: a replay's batch may hold more registrations than one read takes.
  for (let start = 0; start < developerIds.length; start += KEYS_PER_READ_MAXIMUM) {
    for (const [developerId, key] of await readDataKeys(client, developerIds.slice(start, start + KEYS_PER_READ_MAXIMUM))) keys.set(developerId, key);
  }
  return registrations.map((data, index) => [
    data.developerId, displayedName(data.name, keys.get(data.developerId), erasedDeveloperIds.has(data.developerId)),
    data.country, data.incomeGroup, registeredAt[index]!,
  ]);
}

export class LedgerProjection implements ProjectionHandler {
  readonly name = 'ledger';
  readonly tables = [
    'developers', 'apps', 'contract_versions', 'directory_payouts', 'splits', 'refunds',
    'payouts', 'developer_balances', 'platform_share_monthly', 'ledger_postings',
  ] as const;
  readonly insertOnlyTables = ['splits', 'refunds', 'ledger_postings'] as const;

  async applyBatch(events: readonly RecordedEvent[], context: ProjectionContext): Promise<void> {
    const registrations: DeveloperRegistered['data'][] = [];
    const registeredAt: string[] = [];
    const erasedDeveloperIds = new Set<string>();
    const apps: (string | number)[][] = [];
    const contractVersions: (string | number)[][] = [];
    const appVersionUpdates: (string | number)[][] = [];
    const splits: (string | number)[][] = [];
    const refunds: (string | number)[][] = [];
    const payoutRequests: string[][] = [];
    const payoutDirectory: string[][] = [];
    const payoutOutcomes: (string | null)[][] = [];
    const ledgerPostings: string[][] = [];
    const balanceDeltas = new Map<string, BalanceDelta>();
    const shareDeltas = new Map<string, ShareDelta>();

    const balanceDelta = (developerId: string, currency: string): BalanceDelta => {
      const key = `${developerId}\u0000${currency}`;
      let delta = balanceDeltas.get(key);
      if (!delta) { delta = { creditedMinor: 0n, refundedMinor: 0n, inFlightMinor: 0n, paidMinor: 0n }; balanceDeltas.set(key, delta); }
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
      const commit = recorded.globalPosition.commit.toString();
      const prepare = recorded.globalPosition.prepare.toString();
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
          apps.push([event.data.appId, event.data.developerId, event.data.name, currency, contract.version, recordedAt]);
          contractVersions.push([event.data.appId, contract.version, contract.hash, contract.effectiveFrom, JSON.stringify(contract.terms), recordedAt]);
          break;
        }
        case 'ContractAmended': {
          const contract = event.data.contract;
          contractVersions.push([event.data.appId, contract.version, contract.hash, contract.effectiveFrom, JSON.stringify(contract.terms), recordedAt]);
          appVersionUpdates.push([event.data.appId, contract.version]);
          break;
        }
        case 'RevenueRecorded': {
          const data = event.data;
          occurredAt = data.occurredAt;
          const developerMinor = developerAmountOf(data.lines, data.developerId);
          const platformMinor = data.lines.find((line) => line.party === 'platform')?.amountMinor ?? 0n;
          splits.push([
            data.receiptId, data.appId, data.developerId, data.currency, data.amountMinor.toString(), data.occurredAt,
            data.availableAt, recordedAt, data.contractVersion, data.contractHash, data.splitRuleVersion,
            platformMinor.toString(), developerMinor.toString(), linesJson(data.lines), recorded.eventId, commit, prepare,
          ]);
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
          refunds.push([
            data.refundId, data.receiptId, data.appId, data.developerId, data.currency, data.amountMinor.toString(),
            data.occurredAt, recordedAt, data.contractVersion, data.contractHash, data.splitRuleVersion,
            developerMinor.toString(), linesJson(data.lines), recorded.eventId, commit, prepare,
          ]);
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
          payoutRequests.push([data.payoutId, data.developerId, data.currency, data.amountMinor.toString(), 'requested', data.requestedAt]);
          payoutDirectory.push([data.payoutId, data.developerId]);
          balanceDelta(data.developerId, data.currency).inFlightMinor += data.amountMinor;
          break;
        }
        case 'PayoutSettled': {
          const data = event.data;
          occurredAt = data.settledAt;
          payoutOutcomes.push([data.payoutId, 'settled', data.settledAt, data.reference, null]);
          const delta = balanceDelta(data.developerId, data.currency);
          delta.inFlightMinor -= data.amountMinor;
          delta.paidMinor += data.amountMinor;
          break;
        }
        case 'PayoutFailed': {
          const data = event.data;
          occurredAt = data.failedAt;
          payoutOutcomes.push([data.payoutId, 'failed', data.failedAt, null, data.reason]);
          balanceDelta(data.developerId, data.currency).inFlightMinor -= data.amountMinor;
          break;
        }
      }
      const postings = postingsOf(event);
      if (postings.length > 0) {
        const currency = postings[0]!.currency;
        assertInvariant(postings.every((posting) => posting.currency === currency), `postings of ${event.type} are in one currency`);
        ledgerPostings.push([
          commit, prepare, recorded.eventId, event.type, currency, textArrayLiteral(postings.map((posting) => posting.account)),
          numericArrayLiteral(postings.map((posting) => posting.amountMinor)), occurredAt, recordedAt,
        ]);
      }
    }

    const { client, schema } = context;
    const table = (name: string) => `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
    const developers = await developerRows(client, registrations, registeredAt, erasedDeveloperIds);
    await bulkAppend(context, 'developers', [
      { name: 'developer_id', type: 'text' }, { name: 'name', type: 'text' }, { name: 'country', type: 'text' },
      { name: 'income_group', type: 'text' }, { name: 'registered_at', type: 'timestamptz' },
    ], developers);
    if (erasedDeveloperIds.size > 0) {
      await client.query(`UPDATE ${table('developers')} SET name = $1 WHERE developer_id = ANY($2::text[])`, [ERASED_MARKER, [...erasedDeveloperIds]]);
    }
    await bulkAppend(context, 'apps', [
      { name: 'app_id', type: 'text' }, { name: 'developer_id', type: 'text' }, { name: 'name', type: 'text' },
      { name: 'currency', type: 'text' }, { name: 'latest_contract_version', type: 'int4' }, { name: 'registered_at', type: 'timestamptz' },
    ], apps);
    await bulkAppend(context, 'contract_versions', [
      { name: 'app_id', type: 'text' }, { name: 'contract_version', type: 'int4' }, { name: 'contract_hash', type: 'text' },
      { name: 'effective_from', type: 'timestamptz' }, { name: 'terms', type: 'jsonb' }, { name: 'recorded_at', type: 'timestamptz' },
    ], contractVersions);
    for (const [appId, version] of appVersionUpdates) {
      await client.query(`UPDATE ${table('apps')} SET latest_contract_version = $2 WHERE app_id = $1`, [appId, version]);
    }
    await bulkAppend(context, 'splits', [
      { name: 'receipt_id', type: 'text' }, { name: 'app_id', type: 'text' }, { name: 'developer_id', type: 'text' },
      { name: 'currency', type: 'text' }, { name: 'amount_minor', type: 'numeric' }, { name: 'occurred_at', type: 'timestamptz' },
      { name: 'available_at', type: 'timestamptz' }, { name: 'recorded_at', type: 'timestamptz' },
      { name: 'contract_version', type: 'int4' }, { name: 'contract_hash', type: 'text' }, { name: 'split_rule_version', type: 'int4' },
      { name: 'platform_minor', type: 'numeric' }, { name: 'developer_minor', type: 'numeric' }, { name: 'lines', type: 'jsonb' },
      { name: 'event_id', type: 'uuid' }, { name: 'commit_position', type: 'numeric' }, { name: 'prepare_position', type: 'numeric' },
    ], splits);
    await bulkAppend(context, 'refunds', [
      { name: 'refund_id', type: 'text' }, { name: 'receipt_id', type: 'text' }, { name: 'app_id', type: 'text' },
      { name: 'developer_id', type: 'text' }, { name: 'currency', type: 'text' }, { name: 'amount_minor', type: 'numeric' },
      { name: 'occurred_at', type: 'timestamptz' }, { name: 'recorded_at', type: 'timestamptz' },
      { name: 'contract_version', type: 'int4' }, { name: 'contract_hash', type: 'text' }, { name: 'split_rule_version', type: 'int4' },
      { name: 'developer_minor', type: 'numeric' }, { name: 'lines', type: 'jsonb' },
      { name: 'event_id', type: 'uuid' }, { name: 'commit_position', type: 'numeric' }, { name: 'prepare_position', type: 'numeric' },
    ], refunds);
    await bulkAppend(context, 'payouts', [
      { name: 'payout_id', type: 'text' }, { name: 'developer_id', type: 'text' }, { name: 'currency', type: 'text' },
      { name: 'amount_minor', type: 'numeric' }, { name: 'status', type: 'text' }, { name: 'requested_at', type: 'timestamptz' },
    ], payoutRequests);
    await bulkAppend(context, 'directory_payouts', [
      { name: 'payout_id', type: 'text' }, { name: 'developer_id', type: 'text' },
    ], payoutDirectory);
    for (const [payoutId, status, at, reference, reason] of payoutOutcomes) {
      const result = await client.query(
        `UPDATE ${table('payouts')} SET status = $2,
           settled_at = CASE WHEN $2 = 'settled' THEN $3::timestamptz END,
           failed_at = CASE WHEN $2 = 'failed' THEN $3::timestamptz END,
           reference = $4, failure_reason = $5
         WHERE payout_id = $1 AND status = 'requested'`,
        [payoutId, status, at, reference, reason],
      );
      if (result.rowCount !== 1) throw new Error(`invariant: payout ${payoutId} was not pending when it became ${status}`);
    }
    if (balanceDeltas.size > 0) {
      const rows = [...balanceDeltas].map(([key, delta]) => [
        ...key.split('\u0000'), delta.creditedMinor.toString(), delta.refundedMinor.toString(),
        delta.inFlightMinor.toString(), delta.paidMinor.toString(),
      ]);
      await bulkInsert(client, schema, 'developer_balances', [
        { name: 'developer_id', type: 'text' }, { name: 'currency', type: 'text' }, { name: 'credited_minor', type: 'numeric' },
        { name: 'refunded_minor', type: 'numeric' }, { name: 'payouts_in_flight_minor', type: 'numeric' }, { name: 'paid_minor', type: 'numeric' },
      ], rows, `ON CONFLICT (developer_id, currency) DO UPDATE SET
          credited_minor = developer_balances.credited_minor + EXCLUDED.credited_minor,
          refunded_minor = developer_balances.refunded_minor + EXCLUDED.refunded_minor,
          payouts_in_flight_minor = developer_balances.payouts_in_flight_minor + EXCLUDED.payouts_in_flight_minor,
          paid_minor = developer_balances.paid_minor + EXCLUDED.paid_minor`);
    }
    if (shareDeltas.size > 0) {
      const rows = [...shareDeltas].map(([key, delta]) => [...key.split('\u0000'), delta.splitMinor.toString(), delta.reversedMinor.toString()]);
      await bulkInsert(client, schema, 'platform_share_monthly', [
        { name: 'currency', type: 'text' }, { name: 'month', type: 'text' }, { name: 'party', type: 'text' },
        { name: 'split_minor', type: 'numeric' }, { name: 'reversed_minor', type: 'numeric' },
      ], rows, `ON CONFLICT (currency, month, party) DO UPDATE SET
          split_minor = platform_share_monthly.split_minor + EXCLUDED.split_minor,
          reversed_minor = platform_share_monthly.reversed_minor + EXCLUDED.reversed_minor`);
    }
    await bulkAppend(context, 'ledger_postings', [
      { name: 'commit_position', type: 'numeric' }, { name: 'prepare_position', type: 'numeric' }, { name: 'event_id', type: 'uuid' },
      { name: 'event_type', type: 'text' }, { name: 'currency', type: 'text' }, { name: 'accounts', type: 'text', cast: 'text[]' },
      { name: 'amounts_minor', type: 'text', cast: 'numeric[]' }, { name: 'occurred_at', type: 'timestamptz' },
      { name: 'recorded_at', type: 'timestamptz' },
    ], ledgerPostings);
  }
}

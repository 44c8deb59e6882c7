import type { Pool } from 'pg';
import type { DeveloperCommand } from '@rsi/domain';

/** Which id of another stream a command needs resolved to its developer. */
export type RouteKey = { kind: 'app' | 'receipt' | 'payout' | 'dispute'; id: string };

export function developerStreamName(developerId: string): string {
  return `developer-${developerId}`;
}

/** The developer a command names itself, or the key to look its developer up by. */
export function routeOf(command: DeveloperCommand): { developerId: string } | RouteKey {
  switch (command.type) {
    case 'RegisterDeveloper':
    case 'ErasePersonalData':
    case 'RegisterApp':
    case 'RequestPayout':
    case 'AssessRunPayout':
      return { developerId: command.data.developerId };
    case 'AmendContract':
    case 'RecordRevenue':
      return { kind: 'app', id: command.data.appId };
    case 'RefundRevenue':
    case 'OpenDispute':
      return { kind: 'receipt', id: command.data.receiptId };
    case 'ResolveDispute':
      return { kind: 'dispute', id: command.data.disputeId };
    case 'SettlePayout':
    case 'FailPayout':
      return { kind: 'payout', id: command.data.payoutId };
  }
}

/** Routes that a successful command creates, for the commands after it. */
export function routesCreatedBy(command: DeveloperCommand, developerId: string): RouteKey[] {
  switch (command.type) {
    case 'RegisterApp': return [{ kind: 'app', id: command.data.appId }];
    case 'RecordRevenue': return [{ kind: 'receipt', id: command.data.receiptId }];
    case 'RequestPayout': return [{ kind: 'payout', id: command.data.payoutId }];
    case 'OpenDispute': return [{ kind: 'dispute', id: command.data.disputeId }];
    default: void developerId; return [];
  }
}

/**
 * Routes kept in memory. An import remembers the route of every receipt it records, so the
 * bound is what the process holds of them (~0.1 kB each); a route not held is one indexed
 * read, batched per batch of commands.
 */
const ROUTE_CACHE_ENTRIES_MAXIMUM = 50_000;

/**
 * App, receipt, payout and dispute ids → developer id. Backed by the `apps`, `splits`,
 * `directory_payouts` and `disputes` read models, with a bounded in-process cache of the routes this
 * process has created or looked up (routes never change once created).
 */
export class CommandDirectory {
  private readonly cache = new Map<string, string>();

  constructor(private readonly pool: Pool) {}

  /** The developers a payout run assesses (see `payoutRunCandidates`). */
  payoutRunCandidates(runId: string, currency: string): Promise<PayoutRunCandidates> {
    return payoutRunCandidates(this.pool, runId, currency);
  }

  private static cacheKey(key: RouteKey): string {
    return `${key.kind}\u0000${key.id}`;
  }

  remember(key: RouteKey, developerId: string): void {
    if (this.cache.size >= ROUTE_CACHE_ENTRIES_MAXIMUM) {
      // Maps iterate in insertion order: drop the oldest tenth at once to amortise the cost.
      let toDrop = ROUTE_CACHE_ENTRIES_MAXIMUM / 10;
      for (const cachedKey of this.cache.keys()) {
        this.cache.delete(cachedKey);
        toDrop -= 1;
        if (toDrop === 0) break;
      }
    }
    this.cache.set(CommandDirectory.cacheKey(key), developerId);
  }

  cached(key: RouteKey): string | undefined {
    return this.cache.get(CommandDirectory.cacheKey(key));
  }

  /** Looks up every key not in the cache with one query per kind; fills the cache. */
  async resolve(keys: readonly RouteKey[]): Promise<void> {
    const missingByKind = new Map<RouteKey['kind'], Set<string>>();
    for (const key of keys) {
      if (this.cached(key) !== undefined) continue;
      let ids = missingByKind.get(key.kind);
      if (!ids) { ids = new Set(); missingByKind.set(key.kind, ids); }
      ids.add(key.id);
    }
    const queries: Record<RouteKey['kind'], string> = {
      app: 'SELECT app_id AS id, developer_id FROM apps WHERE app_id = ANY($1::text[])',
      // A receipt's split row names its developer: `splits` is the receipt directory.
      receipt: 'SELECT receipt_id AS id, developer_id FROM splits WHERE receipt_id = ANY($1::text[])',
      payout: 'SELECT payout_id AS id, developer_id FROM directory_payouts WHERE payout_id = ANY($1::text[])',
      // A dispute's row names its developer (migration 0012).
      dispute: 'SELECT dispute_id AS id, developer_id FROM disputes WHERE dispute_id = ANY($1::text[])',
    };
    for (const [kind, ids] of missingByKind) {
      const result = await this.pool.query<{ id: string; developer_id: string }>(queries[kind], [[...ids]]);
      for (const row of result.rows) this.remember({ kind, id: row.id }, row.developer_id);
    }
  }
}

/** What a payout run needs from the read models: the run as recorded so far, or the developers to assess. */
export type PayoutRunCandidates = {
  /** The run's currency and asOf when some developer was already assessed under its id, else null. */
  recorded: { currency: string; asOf: string } | null;
  /** The developers assessed before (a re-run), or every developer with a balance in the currency (a new run), in id order. */
  developerIds: string[];
};

/** Reads the candidates of a payout run (the `payout_runs` and `developer_balances` read models, migration 0013). */
export async function payoutRunCandidates(pool: Pool, runId: string, currency: string): Promise<PayoutRunCandidates> {
  const assessed = await pool.query<{ developer_id: string; currency: string; as_of: Date }>(
    'SELECT developer_id, currency, as_of FROM payout_runs WHERE run_id = $1 ORDER BY developer_id', [runId],
  );
  if (assessed.rows.length > 0) {
    const first = assessed.rows[0]!;
    return { recorded: { currency: first.currency, asOf: first.as_of.toISOString() }, developerIds: assessed.rows.map((row) => row.developer_id) };
  }
  const balances = await pool.query<{ developer_id: string }>(
    'SELECT developer_id FROM developer_balances WHERE currency = $1 ORDER BY developer_id', [currency],
  );
  return { recorded: null, developerIds: balances.rows.map((row) => row.developer_id) };
}

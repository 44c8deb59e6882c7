import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import type { Pool, PoolClient } from 'pg';
import { KEYS_PER_READ_MAXIMUM, readDataKeys } from '@rsi/database';
import { PostgresEventStore, type GlobalPosition } from '@rsi/event-store';
import type { LedgerRuntime } from '../core/ledger-core.module';
import {
  compareProjectionSchemas, projectionTables, replayIntoFreshSchema, snapshotLiveProjections, type LiveSnapshot, type ReplayResult,
} from './projection-replay';
import { SealAudit } from './seal-audit';
import { readEventsInGlobalOrder, HeadUnreachableError, waitUntilVisible } from './global-event-reader';
import { FAILURES_LISTED_MAXIMUM, StreamPass, mergeStreamPassResults, messageOf, nameOf, type FindingTallyData, type StreamPassResult } from './stream-pass';
import { VERIFY_WORKERS_MAXIMUM, verifyStreamsInWorkers } from './stream-verify-worker';
import { describeFailedEvent, formatPosition, ProjectionFailureTable, quoteIdentifier } from '@rsi/projections';

export { HeadUnreachableError };
import { verifyTreeHeads } from './transparency-log/tree-head-audit';
import { WriterSignatureAudit } from './writer-signature-audit';

/** Projection failures read for the report (open, skipped and retried alike). */
const FAILURE_HISTORY_READ_MAXIMUM = 10_000;

export type VerifyCheck = { name: string; ok: boolean; checked: number; failures: number; examples: string[] };
/**
 * `sealKeys`: whether the seals were checked against keys the auditor pinned (`pinned`) or
 * only against the keys they name themselves. `warnings`: what the report does not prove
 * (an unpinned key, a new chain of keys); a warning never fails the report.
 */
export type VerifyReport = {
  ok: boolean;
  eventsRead: number;
  /** The store's head when the read began (`commit/prepare`); every event up to it was read. Null: empty store. */
  headPosition: string | null;
  /** The live checkpoint the projections were compared at (rebuilt up to it, live rows read at it). Null: nothing projected. */
  projectionsComparedAt: string | null;
  sealKeys: { pinned: boolean; keysSeen: number; rotations: number };
  warnings: string[];
  checks: VerifyCheck[];
  /** Personal data (docs/audit.md "Personal data"): counts, and warnings that do not fail the report. */
  personalData: PersonalDataFindings;
  elapsedMilliseconds: number;
};

/**
 * `namesInPlaintext`: registrations recorded before names were protected; their names are in
 * the events and cannot be shredded (an erasure hides them from every read model and
 * statement, not from the events). `erasuresWithKeyPresent`: erasures whose data key still
 * exists (the destruction did not finish; re-run the erasure). Both are warnings.
 */
export type PersonalDataFindings = {
  namesProtected: number;
  namesInPlaintext: number;
  erasures: number;
  erasuresWithKeyPresent: number;
  warnings: string[];
};

export type VerifyOptions = {
  /** How long the read waits for events that older running transactions hold back (default and maximum 60 s). */
  headWaitMillisecondsMaximum?: number;
  /** The auditor's trust anchors: the platform's published seal public keys (PEM); none: seals are checked only against themselves. */
  pinnedPublicKeys?: readonly string[];
  /**
   * Worker threads for the per-stream checks (1..`VERIFY_WORKERS_MAXIMUM`; default: one per
   * core). The report is the same for any number. The embedded database and EventStoreDB
   * run them in the main thread, in the one pass over the events.
   */
  workers?: number;
};

class Check {
  checked = 0;
  failures = 0;
  readonly examples: string[] = [];
  constructor(readonly name: string) {}
  pass(): void { this.checked += 1; }
  fail(message: string): void {
    this.checked += 1;
    this.failures += 1;
    if (this.examples.length < FAILURES_LISTED_MAXIMUM) this.examples.push(message);
  }
  /** Adds the counts and the (already ordered) listed failures of the per-stream pass, before any failure of this check's own. */
  absorb(tally: FindingTallyData): void {
    this.checked += tally.checked;
    this.failures += tally.failures;
    for (const finding of tally.listed) if (this.examples.length < FAILURES_LISTED_MAXIMUM) this.examples.push(finding.message);
  }
  result(): VerifyCheck {
    return { name: this.name, ok: this.failures === 0, checked: this.checked, failures: this.failures, examples: this.examples };
  }
}

type VerifyChecks = {
  chain: Check; recompute: Check; sums: Check; conversions: Check; parties: Check; postings: Check; rebuild: Check; seals: Check; applied: Check; treeHeads: Check; writerSignatures: Check;
};

/**
 * The worker threads `verify` uses by default: one per core the process may use, within
 * `VERIFY_WORKERS_MAXIMUM` (each holds a database connection).
 */
export function defaultVerifyWorkers(): number {
  return Math.max(1, Math.min(os.availableParallelism(), VERIFY_WORKERS_MAXIMUM));
}

/** Postings that do not sum to zero, read in the live snapshot's transaction (under a savepoint, so that a failure leaves the snapshot usable). */
async function checkPostings(client: PoolClient, postings: Check): Promise<void> {
  await client.query('SAVEPOINT verify_postings');
  try {
    const unbalanced = await client.query<{ event_id: string; currency: string; total: string }>(
      `SELECT event_id::text AS event_id, currency, sum(amount_minor)::text AS total FROM public.ledger_entries GROUP BY event_id, currency HAVING sum(amount_minor) <> 0 ORDER BY 1, 2 LIMIT ${FAILURES_LISTED_MAXIMUM}`,
    );
    const postedEvents = await client.query<{ count: number }>('SELECT count(*)::int AS count FROM public.ledger_postings');
    postings.checked = postedEvents.rows[0].count;
    for (const row of unbalanced.rows) postings.fail(`event ${row.event_id}: postings sum to ${row.total} ${row.currency}`);
    await client.query('RELEASE SAVEPOINT verify_postings');
  } catch (error) {
    await client.query('ROLLBACK TO SAVEPOINT verify_postings');
    postings.fail(`the live postings cannot be read: ${messageOf(error)}`);
  }
}

/**
 * The auditor's check of the whole ledger, from the events alone:
 * - every stream's hash chain and versions are unbroken;
 * - every split and every refund reversal is recomputed by the domain from the state before
 *   it (so with the contract version recorded then) and must equal the recorded event;
 * - every split and reversal sums to its amount, with no negative line;
 * - no recorded contract names a carve-out party in a reserved namespace (the platform, the
 *   developers, the system accounts such as `revenue:clearing`), whose postings would mix
 *   with the ledger's own accounts;
 * - every event's postings sum to zero per currency;
 * - the read models rebuilt from position 0 equal the live ones;
 * - no projection holds back an event it could not apply, and none was skipped (a skip is
 *   an operator's recorded decision, reported for ever so that the audit never passes over it);
 * - every append carries a valid writer signature over its events' hashes, under a writer
 *   key that a trusted seal key introduced (PostgreSQL store; events written before
 *   migration 0011 are reported, not refused: `writer-signature-audit.ts`);
 * - every period seal's Merkle root is recomputed from the events and its signature checked,
 *   the seals chain to each other, and (pinned) each is signed by a pinned key or one joined
 *   to it by rotations.
 *
 * It always finishes with the whole report: anything an event or a row holds that a check
 * cannot take is a finding naming it, and the other checks go on. It writes nothing that
 * the ledger uses: no event, no live read model, no checkpoint. The live read models are
 * copied in one snapshot as of their checkpoint P (`snapshotLiveProjections`), rebuilt from
 * the events up to exactly P into a scratch schema, and the two copies compared; both
 * scratch schemas are dropped at the end. The events are read to the store's head at the
 * start (waiting for transactions in flight, at most `headWaitMillisecondsMaximum`; beyond
 * it `HeadUnreachableError`, since a report on a prefix would be a false "ok").
 * See docs/audit.md.
 */
export async function verifyLedger(runtime: LedgerRuntime, nowMilliseconds: () => number, options: VerifyOptions = {}): Promise<VerifyReport> {
  const startedAt = nowMilliseconds();
  const workers = options.workers ?? defaultVerifyWorkers();
  if (!Number.isSafeInteger(workers) || workers < 1 || workers > VERIFY_WORKERS_MAXIMUM) throw new RangeError(`workers must be an integer from 1 to ${VERIFY_WORKERS_MAXIMUM}, got ${workers}`);
  const checks: VerifyChecks = {
    chain: new Check('hash chains and stream versions'),
    recompute: new Check('splits and reversals recomputed by the domain'),
    sums: new Check('lines sum to the amount, none negative'),
    conversions: new Check('payouts in another currency: each converted amount recomputed from its rate and rounding rule; settlements and failures repeat the request\'s conversion'),
    parties: new Check('contract parties: none in a reserved namespace (platform, developers, system accounts)'),
    postings: new Check('postings sum to zero per event and currency'),
    rebuild: new Check('rebuilt projections equal the live ones'),
    seals: new Check(options.pinnedPublicKeys === undefined
      ? 'seals: Merkle roots recomputed, signatures (keys not pinned), chain of seals, key rotations, order, nothing booked into a sealed period after its seal'
      : 'seals: Merkle roots recomputed, signatures by the pinned keys or keys they introduced, chain of seals, key rotations, order, nothing booked into a sealed period after its seal'),
    applied: new Check('every event applied by every projection: none held back, none skipped'),
    treeHeads: new Check('tree heads: every log leaf recomputed from the events, every head\'s root and signature'),
    writerSignatures: new Check('writer signatures: every append signed by a writer key that a trusted seal key introduced'),
  };
  const pool = runtime.connection.pool;
  const tables = projectionTables(runtime.projectionHandlers);
  // Two scratch schemas of this run alone: the live snapshot and the rebuild.
  const scratch = `verify_${startedAt}_${randomBytes(4).toString('hex')}`;
  const liveCopySchema = `${scratch}_live`;
  const rebuiltSchema = `${scratch}_rebuilt`;
  let rebuilt: Promise<ReplayResult> | null = null;
  try {
    // First the live snapshot at P, then the events up to the head: P is at or before the head.
    let snapshot: LiveSnapshot | null = null;
    try {
      snapshot = await snapshotLiveProjections(pool, liveCopySchema, tables, (client) => checkPostings(client, checks.postings));
    } catch (error) {
      checks.rebuild.fail(`the live read models cannot be read in one snapshot: ${messageOf(error)}`);
    }

    const sealAudit = await SealAudit.start(runtime.store, (message) => checks.seals.fail(message), options.pinnedPublicKeys ?? null);
    const warnings: string[] = [];
    let writerAudit: WriterSignatureAudit | null = null;
    if (runtime.store instanceof PostgresEventStore) {
      try {
        writerAudit = await WriterSignatureAudit.start(pool, nameOf, (message) => checks.writerSignatures.fail(message), () => checks.writerSignatures.pass());
      } catch (error) {
        checks.writerSignatures.fail(`the writer signatures cannot be read: ${messageOf(error)}`);
      }
    } else {
      warnings.push(`writer signatures: ${runtime.eventStoreDescription} records none (docs/eventstoredb.md): database access alone could write an event there`);
    }
    // The per-stream checks run in worker threads on a PostgreSQL server, each reading its
    // share of the streams up to the same head, while this thread reads the events in global
    // order for the checks that need that order (seals, writer signatures). The embedded
    // database serves one connection, and EventStoreDB is read through its client: there the
    // one pass in global order runs the per-stream checks too.
    const inWorkers = runtime.store instanceof PostgresEventStore && !runtime.connection.embedded;
    let headPosition: GlobalPosition | null = inWorkers ? await runtime.store.readHeadPosition!() : null;
    let streamResults: Promise<(StreamPassResult | Error)[]> = Promise.resolve([]);
    if (inWorkers && headPosition !== null) {
      const head = headPosition;
      await waitUntilVisible(pool, head, options.headWaitMillisecondsMaximum);
      streamResults = verifyStreamsInWorkers({ connectionString: runtime.connection.connectionString, head, shareCount: workers });
    }
    // With more than one worker, the rebuild of the read models runs meanwhile, in N worker
    // threads of its own, each rebuilding its share of the streams up to the snapshot's
    // checkpoint, merged exactly (`replayInParallel`); with one, after the pass in this
    // thread, by one projector, as the embedded database and EventStoreDB always do.
    if (inWorkers && workers > 1 && snapshot !== null) {
      rebuilt = replayIntoFreshSchema({
        pool, store: runtime.store, handlers: runtime.projectionHandlers, schema: rebuiltSchema, nowMilliseconds, copyFromStdin: true,
        until: snapshot.checkpoint, skipsFromSchema: snapshot.schema, parallel: { workers, connectionString: runtime.connection.connectionString },
      });
      // Awaited (and its failure reported) by the comparison; until then a rejection is not unhandled.
      rebuilt.catch(() => undefined);
    }
    const inProcess = inWorkers ? null : new StreamPass();
    let eventsRead = 0;
    let readFailure: string | null = null;
    try {
      ({ head: headPosition } = await readEventsInGlobalOrder(runtime.store, async (events) => {
        for (const recorded of events) {
          eventsRead += 1;
          inProcess?.observe(recorded);
          try {
            sealAudit.observe(recorded);
          } catch (error) {
            checks.seals.fail(`${nameOf(recorded)}: the seal audit cannot take it: ${messageOf(error)}`);
          }
        }
        if (writerAudit !== null) {
          try {
            await writerAudit.observe(events);
          } catch (error) {
            checks.writerSignatures.fail(`the writer signatures of the events up to ${formatPosition(events[events.length - 1]!.globalPosition)} cannot be checked: ${messageOf(error)}`);
            writerAudit = null;
          }
        }
      }, { headWaitMillisecondsMaximum: options.headWaitMillisecondsMaximum, ...(inWorkers ? { head: headPosition } : {}) }));
    } catch (error) {
      if (error instanceof HeadUnreachableError) throw error;
      readFailure = `the events cannot be read beyond the ${eventsRead} read: ${messageOf(error)}`;
    }
    try {
      sealAudit.finish(() => checks.seals.pass());
    } catch (error) {
      checks.seals.fail(`the seals cannot be checked: ${messageOf(error)}`);
    }
    if (writerAudit !== null) {
      try {
        await writerAudit.finish(headPosition?.commit ?? null, (fingerprint) => sealAudit.sealKeyAnchors(fingerprint));
        warnings.push(...writerAudit.warnings);
      } catch (error) {
        checks.writerSignatures.fail(`the writer keys cannot be checked: ${messageOf(error)}`);
      }
    }
    try {
      await verifyTreeHeads({ store: runtime.store, pool: runtime.connection.pool }, checks.treeHeads);
    } catch (error) {
      checks.treeHeads.fail(`the tree heads cannot be checked: ${messageOf(error)}`);
    }

    if (snapshot !== null) await compareRebuiltWithSnapshot(runtime, snapshot, rebuilt ?? rebuildUpToSnapshot(runtime, snapshot, rebuiltSchema, nowMilliseconds), tables, checks);

    const shares = inProcess === null ? await streamResults : [inProcess.result()];
    const streamPass = mergeStreamPassResults(shares.filter((share): share is StreamPassResult => !(share instanceof Error)));
    checks.chain.absorb(streamPass.chain);
    checks.recompute.absorb(streamPass.recompute);
    checks.sums.absorb(streamPass.sums);
    checks.conversions.absorb(streamPass.conversions);
    checks.parties.absorb(streamPass.parties);
    for (const [shareIndex, share] of shares.entries()) {
      if (share instanceof Error) checks.chain.fail(`the events of share ${shareIndex + 1} of ${shares.length} of the streams cannot be checked: ${share.message}`);
    }
    if (readFailure !== null) checks.chain.fail(readFailure);

    const result = [checks.chain, checks.recompute, checks.sums, checks.conversions, checks.parties, checks.postings, checks.rebuild, checks.seals, checks.treeHeads, checks.writerSignatures, checks.applied].map((check) => check.result());
    return {
      ok: result.every((check) => check.ok),
      eventsRead,
      headPosition: headPosition === null ? null : formatPosition(headPosition),
      projectionsComparedAt: snapshot?.checkpoint ? formatPosition(snapshot.checkpoint) : null,
      sealKeys: sealAudit.trustAnchor,
      warnings: [...sealAudit.warnings, ...warnings],
      checks: result,
      personalData: await personalDataFindingsOf(pool, streamPass),
      elapsedMilliseconds: nowMilliseconds() - startedAt,
    };
  } finally {
    // A rebuild still running in its thread (verify stopped early) is let finish, so that its schema is dropped after it.
    await rebuilt?.catch(() => undefined);
    for (const schema of [liveCopySchema, rebuiltSchema]) await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  }
}

const PERSONAL_DATA_WARNINGS_LISTED_MAXIMUM = 10;

async function personalDataFindingsOf(pool: Pool, pass: StreamPassResult): Promise<PersonalDataFindings> {
  const warnings: string[] = [];
  const namesInPlaintext = pass.namesInPlaintext.map((name) => name.developerId);
  const erasedDeveloperIds = pass.erasures.map((erasure) => erasure.developerId);
  if (namesInPlaintext.length > 0) {
    const listed = namesInPlaintext.slice(0, PERSONAL_DATA_WARNINGS_LISTED_MAXIMUM).join(', ');
    warnings.push(`${namesInPlaintext.length} developer name(s) recorded in plaintext before protection, which an erasure cannot shred from the events: ${listed}`);
  }
  let erasuresWithKeyPresent = 0;
  try {
    for (let start = 0; start < erasedDeveloperIds.length; start += KEYS_PER_READ_MAXIMUM) {
      const developerIds = erasedDeveloperIds.slice(start, start + KEYS_PER_READ_MAXIMUM);
      for (const [developerId, state] of await readDataKeys(pool, developerIds)) {
        if (state.kind !== 'active') continue;
        erasuresWithKeyPresent += 1;
        if (warnings.length < PERSONAL_DATA_WARNINGS_LISTED_MAXIMUM) warnings.push(`developer ${developerId}: erasure recorded, but the data key still exists (re-run the erasure)`);
      }
    }
  } catch (error) {
    warnings.push(`the personal data keys cannot be read: ${messageOf(error)}`);
  }
  return {
    namesProtected: pass.namesProtected, namesInPlaintext: namesInPlaintext.length, erasures: erasedDeveloperIds.length,
    erasuresWithKeyPresent, warnings,
  };
}

/** Rebuilds every projection into `rebuiltSchema` up to the snapshot's checkpoint, in this thread. */
function rebuildUpToSnapshot(runtime: LedgerRuntime, snapshot: LiveSnapshot, rebuiltSchema: string, nowMilliseconds: () => number): Promise<ReplayResult> {
  return replayIntoFreshSchema({
    pool: runtime.connection.pool, store: runtime.store, handlers: runtime.projectionHandlers, schema: rebuiltSchema, nowMilliseconds,
    copyFromStdin: !runtime.connection.embedded, until: snapshot.checkpoint, skipsFromSchema: snapshot.schema,
  });
}

/** Waits for the rebuild into `rebuiltSchema` up to the snapshot's checkpoint, compares it with the snapshot, and checks what the projections could not apply. */
async function compareRebuiltWithSnapshot(
  runtime: LedgerRuntime, snapshot: LiveSnapshot, rebuilt: Promise<ReplayResult>, tables: readonly string[], checks: VerifyChecks,
): Promise<void> {
  const pool = runtime.connection.pool;
  let replay: ReplayResult | null = null;
  try {
    replay = await rebuilt;
  } catch (error) {
    checks.rebuild.fail(`the rebuild up to ${snapshot.checkpoint ? formatPosition(snapshot.checkpoint) : 'the start'} stopped: ${messageOf(error)}`);
  }
  if (replay !== null) {
    try {
      for (const difference of await compareProjectionSchemas(pool, snapshot.schema, replay.schema, tables)) {
        if (difference.onlyLive === 0 && difference.onlyRebuilt === 0) checks.rebuild.pass();
        else {
          checks.rebuild.fail(`${difference.table}: ${difference.onlyLive} rows only live, ${difference.onlyRebuilt} only rebuilt; ` +
            `live ${JSON.stringify(difference.onlyLiveRows)}, rebuilt ${JSON.stringify(difference.onlyRebuiltRows)}`);
        }
      }
    } catch (error) {
      checks.rebuild.fail(`the rebuilt and live read models cannot be compared: ${messageOf(error)}`);
    }
  }
  const { applied } = checks;
  try {
    const liveFailures = new ProjectionFailureTable(snapshot.schema);
    const liveOpen = await liveFailures.readOpen(pool);
    for (const failure of liveOpen) applied.fail(`held back: ${describeFailedEvent(failure)} could not be applied (${failure.attempts} attempt(s) since ${failure.firstFailedAt}): ${failure.errorMessage}`);
    const liveOpenKeys = new Set(liveOpen.map((failure) => `${failure.projectionName}\u0000${failure.eventId}`));
    for (const failure of replay?.openFailures ?? []) {
      if (!liveOpenKeys.has(`${failure.projectionName}\u0000${failure.eventId}`)) applied.fail(`the rebuild could not apply ${describeFailedEvent(failure)}: ${failure.errorMessage}`);
    }
    for (const failure of await liveFailures.readAll(pool, FAILURE_HISTORY_READ_MAXIMUM)) {
      if (failure.resolution === 'skipped') applied.fail(`skipped: ${describeFailedEvent(failure)}, skipped by ${failure.resolvedBy} at ${failure.resolvedAt}: ${failure.resolutionReason} (it failed with: ${failure.errorMessage})`);
      else if (failure.resolution === 'retried') applied.pass();
    }
  } catch (error) {
    applied.fail(`the projection failures cannot be read: ${messageOf(error)}`);
  }
}

import {
  canonicalJson, conversionFailure, decideDeveloper, decodeDeveloperEvent, encodeDeveloperEvent, evolveDeveloper, initialDeveloperState, isDeveloperEventType, isReservedParty, type DeveloperEvent, type DeveloperState, isProtectedText,
} from '@rsi/domain';
import { randomBytes } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { KEYS_PER_READ_MAXIMUM, readDataKeys } from '@rsi/database';
import { PostgresEventStore, type GlobalPosition, type RecordedEvent } from '@rsi/event-store';
import { EVENT_HASH_SCHEME_COVERAGE, eventHashSchemeOf, expectedEventHashOf, GENESIS_EVENT_HASH } from '../core/event-hash';
import type { LedgerRuntime } from '../core/ledger-core.module';
import {
  compareProjectionSchemas, projectionTables, replayIntoFreshSchema, snapshotLiveProjections, type LiveSnapshot, type ReplayResult,
} from './projection-replay';
import { SealAudit } from './seal-audit';
import { commandBehind } from './command-behind';
import { readEventsInGlobalOrder, HeadUnreachableError } from './global-event-reader';
import { describeFailedEvent, formatPosition, ProjectionFailureTable, quoteIdentifier } from '@rsi/projections';

export { HeadUnreachableError };
import { verifyTreeHeads } from './transparency-log/tree-head-audit';
import { WriterSignatureAudit } from './writer-signature-audit';

/** Failures listed in the report per check; the count goes on beyond it. */
const FAILURES_LISTED_MAXIMUM = 50;
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
  result(): VerifyCheck {
    return { name: this.name, ok: this.failures === 0, checked: this.checked, failures: this.failures, examples: this.examples };
  }
}

/** A recorded contract (registration or amendment) whose carve-out party collides with the ledger's own accounts is a finding. */
function checkContractParties(event: DeveloperEvent, where: string, parties: Check): void {
  if (event.type !== 'AppRegistered' && event.type !== 'ContractAmended') return;
  const contract = event.data.contract;
  // Decoded terms are the canonical document of parsed terms: carveOuts is always an array.
  const carveOuts = contract.terms.carveOuts as readonly { party: string }[];
  const reserved = carveOuts.map((carveOut) => carveOut.party).filter(isReservedParty);
  if (reserved.length === 0) parties.pass();
  else parties.fail(`${where} ${event.type} ${event.data.appId} v${contract.version}: carve-out part${reserved.length === 1 ? 'y' : 'ies'} ${reserved.map((party) => JSON.stringify(party)).join(', ')} in a reserved namespace`);
}

/**
 * A payout in another currency (docs/domain.md "Payouts in another currency"): the request's
 * converted amount is recomputed from its amount and rate under the rule it names; a settlement
 * or failure must repeat the request's conversion (or, like the request, have none).
 */
function checkPayoutConversion(event: DeveloperEvent, state: DeveloperState, where: string, conversions: Check): void {
  if (event.type === 'PayoutRequested') {
    if (event.data.conversion === undefined) return;
    const failure = conversionFailure(event.data, event.data.conversion);
    if (failure === null) conversions.pass();
    else conversions.fail(`${where}: ${failure}`);
    return;
  }
  if (event.type !== 'PayoutSettled' && event.type !== 'PayoutFailed') return;
  const requested = state.payouts.get(event.data.payoutId)?.conversion ?? null;
  const outcome = event.data.conversion ?? null;
  if (requested === null && outcome === null) return;
  const encode = (conversion: typeof outcome) => (conversion === null ? 'none' : canonicalJson({ ...conversion, payoutAmountMinor: conversion.payoutAmountMinor.toString() }));
  if (encode(requested) === encode(outcome)) conversions.pass();
  else conversions.fail(`${where}: conversion ${encode(outcome)} differs from the request's ${encode(requested)}`);
}

/** The one name of an event in every finding: stream and version, type, id and global position. */
function nameOf(recorded: RecordedEvent): string {
  return `${recorded.streamName}@${recorded.streamVersion} ${recorded.type} (event ${recorded.eventId}, position ${formatPosition(recorded.globalPosition)})`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

type VerifyChecks = {
  chain: Check; recompute: Check; sums: Check; conversions: Check; parties: Check; postings: Check; rebuild: Check; seals: Check; applied: Check; treeHeads: Check; writerSignatures: Check;
};

/**
 * What the one pass over the events keeps: each stream's last version and hash, each
 * developer stream's state, and the streams that cannot be recomputed further (an event
 * the codec refuses, or one the state before it cannot take).
 */
class EventPass {
  readonly streams = new Map<string, { version: bigint; lastEventHash: string }>();
  readonly developerStates = new Map<string, DeveloperState>();
  readonly unreplayableStreams = new Set<string>();
  readonly namesInPlaintext: string[] = [];
  readonly erasedDeveloperIds: string[] = [];
  namesProtected = 0;
  eventsRead = 0;

  constructor(private readonly checks: VerifyChecks, private readonly sealAudit: SealAudit) {}

  /** Every step is guarded: whatever an event holds, it becomes a finding naming it, and the other checks go on. */
  observe(recorded: RecordedEvent): void {
    this.eventsRead += 1;
    this.checkChain(recorded);
    try {
      this.sealAudit.observe(recorded);
    } catch (error) {
      this.checks.seals.fail(`${nameOf(recorded)}: the seal audit cannot take it: ${messageOf(error)}`);
    }
    if (isDeveloperEventType(recorded.type) && !this.unreplayableStreams.has(recorded.streamName)) this.recompute(recorded);
  }

  private checkChain(recorded: RecordedEvent): void {
    const { chain } = this.checks;
    const stream = this.streams.get(recorded.streamName) ?? { version: -1n, lastEventHash: GENESIS_EVENT_HASH };
    try {
      // The scheme the event names decides what its hash covers: scheme 1 events (written
      // before scheme 2) still verify, and the finding says what could have been changed.
      const scheme = eventHashSchemeOf(recorded.metadata);
      const expectedHash = expectedEventHashOf(recorded, stream.lastEventHash);
      if (recorded.streamVersion !== stream.version + 1n) chain.fail(`${recorded.streamName}@${recorded.streamVersion}: expected version ${stream.version + 1n}`);
      else if (recorded.metadata.previousEventHash !== stream.lastEventHash) chain.fail(`${recorded.streamName}@${recorded.streamVersion}: previous hash does not match`);
      else if (recorded.metadata.eventHash !== expectedHash) {
        chain.fail(`${recorded.streamName}@${recorded.streamVersion}: event hash does not match its body (hash scheme ${scheme} covers ${EVENT_HASH_SCHEME_COVERAGE[scheme]})`);
      } else chain.pass();
    } catch (error) {
      chain.fail(`${nameOf(recorded)}: its hash cannot be computed: ${messageOf(error)}`);
    }
    this.streams.set(recorded.streamName, { version: recorded.streamVersion, lastEventHash: String(recorded.metadata.eventHash) });
  }

  private recompute(recorded: RecordedEvent): void {
    const { recompute, sums, parties } = this.checks;
    let event: DeveloperEvent;
    try {
      event = decodeDeveloperEvent(recorded.type, recorded.data);
    } catch (error) {
      this.unreplayableStreams.add(recorded.streamName);
      recompute.fail(`${nameOf(recorded)}: cannot be decoded, so neither it nor the rest of its stream is recomputed: ${messageOf(error)}`);
      return;
    }
    if (event.type === 'DeveloperRegistered') {
      if (isProtectedText(event.data.name)) this.namesProtected += 1;
      else this.namesInPlaintext.push(event.data.developerId);
    }
    if (event.type === 'PersonalDataErased') this.erasedDeveloperIds.push(event.data.developerId);
    try {
      checkContractParties(event, `${recorded.streamName}@${recorded.streamVersion}`, parties);
    } catch (error) {
      parties.fail(`${nameOf(recorded)}: its contract parties cannot be read: ${messageOf(error)}`);
    }
    const state = this.developerStates.get(recorded.streamName) ?? initialDeveloperState();
    try {
      checkPayoutConversion(event, state, nameOf(recorded), this.checks.conversions);
    } catch (error) {
      this.checks.conversions.fail(`${nameOf(recorded)}: its conversion cannot be checked: ${messageOf(error)}`);
    }
    let command;
    try {
      command = commandBehind(event);
    } catch (error) {
      recompute.fail(`${nameOf(recorded)}: the command behind it cannot be rebuilt: ${messageOf(error)}`);
      command = null;
    }
    if (command) {
      try {
        // Decided again at the booking time it was recorded at, so the business-time
        // bounds are those the command met then.
        const decided = decideDeveloper(command, state, { bookedAt: recorded.metadata.recordedAt });
        // A payout run's assessment is decided together with the PayoutRequested that follows it (when it paid).
        const expectedCount = event.type === 'PayoutRunAssessed' ? (event.data.payoutId === null ? 1 : 2) : 1;
        const same = decided.length === expectedCount && canonicalJson(encodeDeveloperEvent(decided[0]).data) === canonicalJson(recorded.data);
        if (same) recompute.pass();
        else recompute.fail(`${nameOf(recorded)}: recomputed ${canonicalJson(decided.map((item) => encodeDeveloperEvent(item)))} differs from recorded`);
      } catch (error) {
        recompute.fail(`${nameOf(recorded)}: the domain refuses it now: ${messageOf(error)}`);
      }
      // Splits, refunds and disputes have lines; a payout run's assessment has none.
      if ('lines' in event.data) {
        try {
          const data = event.data as { amountMinor: bigint; lines: { party: string; amountMinor: bigint }[] };
          const total = data.lines.reduce((sum, line) => sum + line.amountMinor, 0n);
          if (total !== data.amountMinor || data.lines.some((line) => line.amountMinor < 0n)) sums.fail(`${nameOf(recorded)}: lines sum to ${total}, amount ${data.amountMinor}`);
          else sums.pass();
        } catch (error) {
          sums.fail(`${nameOf(recorded)}: its lines cannot be summed: ${messageOf(error)}`);
        }
      }
    }
    try {
      this.developerStates.set(recorded.streamName, evolveDeveloper(state, event));
    } catch (error) {
      // E.g. a split naming a contract version the app never had: the state after it is
      // unknown, so the rest of the stream cannot be recomputed; the other streams go on.
      this.unreplayableStreams.add(recorded.streamName);
      recompute.fail(`${nameOf(recorded)}: the state of its stream cannot take it, so the rest of its stream is not recomputed: ${messageOf(error)}`);
    }
  }
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
  try {
    // First the live snapshot at P, then the events up to the head: P is at or before the head.
    let snapshot: LiveSnapshot | null = null;
    try {
      snapshot = await snapshotLiveProjections(pool, liveCopySchema, tables, (client) => checkPostings(client, checks.postings));
    } catch (error) {
      checks.rebuild.fail(`the live read models cannot be read in one snapshot: ${messageOf(error)}`);
    }

    const sealAudit = await SealAudit.start(runtime.store, (message) => checks.seals.fail(message), options.pinnedPublicKeys ?? null);
    const pass = new EventPass(checks, sealAudit);
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
    let headPosition: GlobalPosition | null = null;
    try {
      ({ head: headPosition } = await readEventsInGlobalOrder(runtime.store, async (events) => {
        for (const recorded of events) pass.observe(recorded);
        if (writerAudit !== null) {
          try {
            await writerAudit.observe(events);
          } catch (error) {
            checks.writerSignatures.fail(`the writer signatures of the events up to ${formatPosition(events[events.length - 1]!.globalPosition)} cannot be checked: ${messageOf(error)}`);
            writerAudit = null;
          }
        }
      }, { headWaitMillisecondsMaximum: options.headWaitMillisecondsMaximum }));
    } catch (error) {
      if (error instanceof HeadUnreachableError) throw error;
      checks.chain.fail(`the events cannot be read beyond the ${pass.eventsRead} read: ${messageOf(error)}`);
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

    if (snapshot !== null) await compareRebuiltWithSnapshot(runtime, snapshot, rebuiltSchema, tables, checks, nowMilliseconds);

    const result = [checks.chain, checks.recompute, checks.sums, checks.conversions, checks.parties, checks.postings, checks.rebuild, checks.seals, checks.treeHeads, checks.writerSignatures, checks.applied].map((check) => check.result());
    return {
      ok: result.every((check) => check.ok),
      eventsRead: pass.eventsRead,
      headPosition: headPosition === null ? null : formatPosition(headPosition),
      projectionsComparedAt: snapshot?.checkpoint ? formatPosition(snapshot.checkpoint) : null,
      sealKeys: sealAudit.trustAnchor,
      warnings: [...sealAudit.warnings, ...warnings],
      checks: result,
      personalData: await personalDataFindingsOf(pool, pass),
      elapsedMilliseconds: nowMilliseconds() - startedAt,
    };
  } finally {
    for (const schema of [liveCopySchema, rebuiltSchema]) await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  }
}

const PERSONAL_DATA_WARNINGS_LISTED_MAXIMUM = 10;

async function personalDataFindingsOf(pool: Pool, pass: EventPass): Promise<PersonalDataFindings> {
  const warnings: string[] = [];
  if (pass.namesInPlaintext.length > 0) {
    const listed = pass.namesInPlaintext.slice(0, PERSONAL_DATA_WARNINGS_LISTED_MAXIMUM).join(', ');
    warnings.push(`${pass.namesInPlaintext.length} developer name(s) recorded in plaintext before protection, which an erasure cannot shred from the events: ${listed}`);
  }
  let erasuresWithKeyPresent = 0;
  try {
    for (let start = 0; start < pass.erasedDeveloperIds.length; start += KEYS_PER_READ_MAXIMUM) {
      const developerIds = pass.erasedDeveloperIds.slice(start, start + KEYS_PER_READ_MAXIMUM);
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
    namesProtected: pass.namesProtected, namesInPlaintext: pass.namesInPlaintext.length, erasures: pass.erasedDeveloperIds.length,
    erasuresWithKeyPresent, warnings,
  };
}

/** Rebuilds into `rebuiltSchema` up to the snapshot's checkpoint, compares with the snapshot, and checks what the projections could not apply. */
async function compareRebuiltWithSnapshot(
  runtime: LedgerRuntime, snapshot: LiveSnapshot, rebuiltSchema: string, tables: readonly string[], checks: VerifyChecks, nowMilliseconds: () => number,
): Promise<void> {
  const pool = runtime.connection.pool;
  let replay: ReplayResult | null = null;
  try {
    replay = await replayIntoFreshSchema({
      pool, store: runtime.store, handlers: runtime.projectionHandlers, schema: rebuiltSchema, nowMilliseconds,
      copyFromStdin: !runtime.connection.embedded, until: snapshot.checkpoint, skipsFromSchema: snapshot.schema,
    });
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

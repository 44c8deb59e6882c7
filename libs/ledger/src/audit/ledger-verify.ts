import {
  canonicalJson, decideDeveloper, decodeDeveloperEvent, encodeDeveloperEvent, evolveDeveloper,
  initialDeveloperState, isDeveloperEventType, isReservedParty, type DeveloperEvent, type DeveloperState,
} from '../../../domain/src';
import type { GlobalPosition, RecordedEvent } from '../../../event-store/src/event-store.port';
import { eventHashOf, GENESIS_EVENT_HASH } from '../event-hash';
import type { LedgerRuntime } from '../ledger-core.module';
import { compareWithLive, replayIntoFreshSchema } from './projection-replay';
import { SealAudit } from './seal-audit';
import { commandBehind } from './command-behind';
import { describeFailedEvent, formatPosition } from '../../../projections/src/projection-failures';

const VERIFY_READ_BATCH_EVENTS = 10_000;
/** Failures listed in the report per check; the count goes on beyond it. */
const FAILURES_LISTED_MAXIMUM = 50;
/** Projection failures read for the report (open, skipped and retried alike). */
const FAILURE_HISTORY_READ_MAXIMUM = 10_000;

export type VerifyCheck = { name: string; ok: boolean; checked: number; failures: number; examples: string[] };
export type VerifyReport = { ok: boolean; eventsRead: number; checks: VerifyCheck[]; elapsedMilliseconds: number };

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
 * - every period seal's Merkle root is recomputed from the events and its signature checked.
 */
export async function verifyLedger(runtime: LedgerRuntime, nowMilliseconds: () => number): Promise<VerifyReport> {
  const startedAt = nowMilliseconds();
  const chain = new Check('hash chains and stream versions');
  const recompute = new Check('splits and reversals recomputed by the domain');
  const sums = new Check('lines sum to the amount, none negative');
  const parties = new Check('contract parties: none in a reserved namespace (platform, developers, system accounts)');
  const postings = new Check('postings sum to zero per event and currency');
  const rebuild = new Check('rebuilt projections equal the live ones');
  const sealCheck = new Check('seals: Merkle roots recomputed, signatures, order, nothing booked into a sealed period after its seal');
  const applied = new Check('every event applied by every projection: none held back, none skipped');
  const sealAudit = await SealAudit.start(runtime.store, (message) => sealCheck.fail(message));

  const streams = new Map<string, { version: bigint; lastEventHash: string }>();
  const developerStates = new Map<string, DeveloperState>();
  /** Streams with an event the codec refuses: their later events cannot be recomputed. */
  const undecodableStreams = new Set<string>();
  let eventsRead = 0;
  let after: GlobalPosition | null = null;
  for (;;) {
    const events: RecordedEvent[] = await runtime.store.readAll({ after, maxCount: VERIFY_READ_BATCH_EVENTS });
    if (events.length === 0) break;
    for (const recorded of events) {
      eventsRead += 1;
      const stream = streams.get(recorded.streamName) ?? { version: -1n, lastEventHash: GENESIS_EVENT_HASH };
      const expectedHash = eventHashOf(recorded.type, recorded.data, stream.lastEventHash);
      if (recorded.streamVersion !== stream.version + 1n) chain.fail(`${recorded.streamName}@${recorded.streamVersion}: expected version ${stream.version + 1n}`);
      else if (recorded.metadata.previousEventHash !== stream.lastEventHash) chain.fail(`${recorded.streamName}@${recorded.streamVersion}: previous hash does not match`);
      else if (recorded.metadata.eventHash !== expectedHash) chain.fail(`${recorded.streamName}@${recorded.streamVersion}: event hash does not match its body`);
      else chain.pass();
      streams.set(recorded.streamName, { version: recorded.streamVersion, lastEventHash: recorded.metadata.eventHash });
      sealAudit.observe(recorded);

      if (!isDeveloperEventType(recorded.type) || undecodableStreams.has(recorded.streamName)) continue;
      let event;
      try {
        event = decodeDeveloperEvent(recorded.type, recorded.data);
      } catch (error) {
        undecodableStreams.add(recorded.streamName);
        recompute.fail(`${recorded.streamName}@${recorded.streamVersion} ${recorded.type} (event ${recorded.eventId}, position ${formatPosition(recorded.globalPosition)}): cannot be decoded, so neither it nor the rest of its stream is recomputed: ${(error as Error).message}`);
        continue;
      }
      checkContractParties(event, `${recorded.streamName}@${recorded.streamVersion}`, parties);
      const state = developerStates.get(recorded.streamName) ?? initialDeveloperState();
      const command = commandBehind(event);
      if (command) {
        try {
          // Decided again at the booking time it was recorded at, so the business-time
          // bounds are those the command met then.
          const decided = decideDeveloper(command, state, { bookedAt: recorded.metadata.recordedAt });
          const same = decided.length === 1 && canonicalJson(encodeDeveloperEvent(decided[0]).data) === canonicalJson(recorded.data);
          if (same) recompute.pass();
          else recompute.fail(`${recorded.streamName}@${recorded.streamVersion} ${recorded.type}: recomputed ${canonicalJson(decided.map((item) => encodeDeveloperEvent(item)))} differs from recorded`);
        } catch (error) {
          recompute.fail(`${recorded.streamName}@${recorded.streamVersion} ${recorded.type}: the domain refuses it now: ${(error as Error).message}`);
        }
        const data = event.data as { amountMinor: bigint; lines: { party: string; amountMinor: bigint }[] };
        const total = data.lines.reduce((sum, line) => sum + line.amountMinor, 0n);
        if (total !== data.amountMinor || data.lines.some((line) => line.amountMinor < 0n)) sums.fail(`${recorded.streamName}@${recorded.streamVersion}: lines sum to ${total}, amount ${data.amountMinor}`);
        else sums.pass();
      }
      developerStates.set(recorded.streamName, evolveDeveloper(state, event));
    }
    after = events[events.length - 1].globalPosition;
  }

  sealAudit.finish(() => sealCheck.pass());

  const pool = runtime.connection.pool;
  await runtime.projector.catchUp();
  const unbalanced = await pool.query(
    `SELECT event_id::text AS event_id, currency, sum(amount_minor)::text AS total FROM ledger_entries GROUP BY event_id, currency HAVING sum(amount_minor) <> 0 LIMIT ${FAILURES_LISTED_MAXIMUM}`,
  );
  const postedEvents = await pool.query('SELECT count(*)::int AS count FROM ledger_postings');
  postings.checked = postedEvents.rows[0].count;
  for (const row of unbalanced.rows) postings.fail(`event ${row.event_id}: postings sum to ${row.total} ${row.currency}`);

  const scratchSchema = `verify_${nowMilliseconds()}`;
  const replay = await replayIntoFreshSchema({ pool, store: runtime.store, handlers: runtime.projectionHandlers, schema: scratchSchema, nowMilliseconds, copyFromStdin: !runtime.connection.embedded });
  try {
    await runtime.projector.catchUp();
    for (const difference of await compareWithLive(pool, replay)) {
      if (difference.onlyLive === 0 && difference.onlyRebuilt === 0) rebuild.pass();
      else rebuild.fail(`${difference.table}: ${difference.onlyLive} rows only live, ${difference.onlyRebuilt} only rebuilt`);
    }
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${scratchSchema} CASCADE`);
  }

  const liveOpen = await runtime.projector.readOpenFailures();
  for (const failure of liveOpen) applied.fail(`held back: ${describeFailedEvent(failure)} could not be applied (${failure.attempts} attempt(s) since ${failure.firstFailedAt}): ${failure.errorMessage}`);
  const liveOpenKeys = new Set(liveOpen.map((failure) => `${failure.projectionName}\u0000${failure.eventId}`));
  for (const failure of replay.openFailures) {
    if (!liveOpenKeys.has(`${failure.projectionName}\u0000${failure.eventId}`)) applied.fail(`the rebuild could not apply ${describeFailedEvent(failure)}: ${failure.errorMessage}`);
  }
  for (const failure of await runtime.projector.readFailureHistory(FAILURE_HISTORY_READ_MAXIMUM)) {
    if (failure.resolution === 'skipped') applied.fail(`skipped: ${describeFailedEvent(failure)}, skipped by ${failure.resolvedBy} at ${failure.resolvedAt}: ${failure.resolutionReason} (it failed with: ${failure.errorMessage})`);
    else if (failure.resolution === 'retried') applied.pass();
  }

  const checks = [chain, recompute, sums, parties, postings, rebuild, sealCheck, applied].map((check) => check.result());
  return { ok: checks.every((check) => check.ok), eventsRead, checks, elapsedMilliseconds: nowMilliseconds() - startedAt };
}

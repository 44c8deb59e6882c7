import { bookedBefore, parsePeriod } from '../accounting-period';
import { minorOfDecimal, STATEMENT_CONVERSION_FIELDS, STATEMENT_FIGURE_FIELDS, statementFigureMatches, statementFiguresOf, type EventBody } from '../statement-line';
import { portableHashOfEventBody } from './event-body-hash';
import { decodeSealKeyRotation, publicKeyFingerprint, rotationSignaturesHold, type SealKeyRotation } from './key-rotation-record';
import { expectedProofSides, MERKLE_SCHEME, merkleLeafBytesOf, merkleRootFromProof, type ProofStep } from './merkle-proof';
import { decodePeriodSeal, sealSignatureHolds, type PeriodSeal } from './seal-record';
import { checkStatementLogProofs, type StatementLogCheck } from './statement-log-check';

/**
 * The offline check of a JSON statement: no database, no network, only the statement and
 * (best) the platform's published public key. Pure apart from hashing, and browser-safe:
 * the CLI's `verify-statement` and the portal's Verify button run this same function (the
 * portal through `@rsi/ledger/browser`), hashing with @noble/hashes, checking Ed25519 with
 * @noble/curves.
 *
 * It checks that the seal is signed by the key; that every line's figures follow from the
 * event body it carries, that the body hashes to the line's event hash, and that the hash
 * with the booking time sits in the sealed Merkle tree at the claimed leaf; that every line
 * is the developer's and booked in the period; and that the balances add up.
 */
export const STATEMENT_VERIFY_LINES_MAXIMUM = 200_000;
/** 10 million leaves need 24 steps; anything far longer is not a proof of this scheme. */
const PROOF_STEPS_MAXIMUM = 64;
const FAILURES_LISTED_MAXIMUM = 50;
/** Key rotations a statement may carry: one a month for a century is far below it. */
const ROTATIONS_MAXIMUM = 1_000;

export type StatementVerification = {
  ok: boolean;
  sealed: boolean;
  sealPeriod: string | null;
  merkleRoot: string | null;
  /** `given`: checked against the pinned key(s) passed in; `statement`: only against the key the statement names (integrity, not origin). */
  publicKeySource: 'given' | 'statement';
  linesChecked: number;
  failureCount: number;
  failures: string[];
  /** The tree-head companion's check, when the statement carries one. */
  transparencyLog?: StatementLogCheck | null;
};

type UnknownRecord = Record<string, unknown>;

function isRecord(value: unknown): value is UnknownRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The keys an auditor trusts: the pinned ones and every key joined to one by a rotation the
 * statement carries whose two signatures hold (each rotation is signed by the outgoing and
 * the incoming key, so trust flows both ways along it). A malformed rotation is a failure.
 */
function trustedFingerprints(pinnedPublicKeys: readonly string[], rotationsData: unknown, fail: (message: string) => void): Set<string> {
  const trusted = new Set(pinnedPublicKeys.map(publicKeyFingerprint).filter((fingerprint): fingerprint is string => fingerprint !== null));
  if (rotationsData === undefined) return trusted;
  if (!Array.isArray(rotationsData) || rotationsData.length > ROTATIONS_MAXIMUM) {
    fail(`sealKeyRotations: must be a list of at most ${ROTATIONS_MAXIMUM} rotations`);
    return trusted;
  }
  const rotations: { previous: string; next: string }[] = [];
  rotationsData.forEach((data: unknown, index) => {
    let rotation: SealKeyRotation;
    try {
      rotation = decodeSealKeyRotation(data);
    } catch (error) {
      fail(`sealKeyRotations[${index}]: ${(error as Error).message}`);
      return;
    }
    if (!rotationSignaturesHold(rotation)) {
      fail(`sealKeyRotations[${index}]: the signatures by the outgoing and the incoming key do not both hold`);
      return;
    }
    rotations.push({ previous: publicKeyFingerprint(rotation.previousPublicKey)!, next: publicKeyFingerprint(rotation.nextPublicKey)! });
  });
  for (let grew = true; grew;) {
    grew = false;
    for (const { previous, next } of rotations) {
      if (trusted.has(previous) === trusted.has(next)) continue;
      trusted.add(previous).add(next);
      grew = true;
    }
  }
  return trusted;
}

export function verifyStatement(statement: unknown, options: { publicKeyPem?: string; pinnedPublicKeys?: readonly string[] } = {}): StatementVerification {
  const pinnedPublicKeys = options.pinnedPublicKeys ?? (options.publicKeyPem === undefined ? undefined : [options.publicKeyPem]);
  const failures: string[] = [];
  let failureCount = 0;
  const fail = (message: string) => {
    failureCount += 1;
    if (failures.length < FAILURES_LISTED_MAXIMUM) failures.push(message);
  };
  const report = (sealed: boolean, seal: PeriodSeal | null, linesChecked: number): StatementVerification => ({
    ok: failureCount === 0, sealed, sealPeriod: seal?.period ?? null, merkleRoot: seal?.merkleRoot ?? null,
    publicKeySource: pinnedPublicKeys === undefined ? 'statement' : 'given', linesChecked, failureCount, failures,
  });

  if (!isRecord(statement) || !Array.isArray(statement.lines) || !Array.isArray(statement.balances) || typeof statement.developerId !== 'string') {
    fail('not a statement: expected an object with developerId, balances and lines');
    return report(false, null, 0);
  }
  if (statement.lines.length > STATEMENT_VERIFY_LINES_MAXIMUM) {
    fail(`a statement holds at most ${STATEMENT_VERIFY_LINES_MAXIMUM} lines`);
    return report(false, null, 0);
  }
  let period;
  try {
    period = parsePeriod(statement.period);
  } catch (error) {
    fail(`period: ${(error as Error).message}`);
    return report(false, null, 0);
  }
  if (statement.periodStart !== period.startIso || statement.periodEnd !== period.endIso) fail(`periodStart/periodEnd do not match period ${period.name}`);

  let seal: PeriodSeal | null = null;
  if (statement.seal === null || statement.seal === undefined) {
    fail(`period ${period.name} is not sealed: there is no signed root to check the lines against`);
  } else {
    try {
      seal = decodePeriodSeal(statement.seal);
    } catch (error) {
      fail(`seal: ${(error as Error).message}`);
    }
  }
  if (seal !== null) {
    if (seal.merkleScheme !== MERKLE_SCHEME) fail(`seal: unknown Merkle scheme ${JSON.stringify(seal.merkleScheme)}`);
    if (seal.periodEnd < period.endIso) fail(`seal ${seal.period} ends before the statement's period ${period.name}: it cannot cover it`);
    if (pinnedPublicKeys !== undefined) {
      const trusted = trustedFingerprints(pinnedPublicKeys, statement.sealKeyRotations, fail);
      const sealKey = publicKeyFingerprint(seal.publicKey);
      if (sealKey === null || !trusted.has(sealKey)) {
        fail('seal: signed with another key than the published one, and no key rotation the statement carries joins it to the published key');
      }
    }
    if (!sealSignatureHolds(seal)) fail('seal: the Ed25519 signature of the root does not hold');
  }

  const totals = new Map<string, { creditsMinor: bigint; debitsMinor: bigint }>();
  const seenEventIds = new Set<string>();
  statement.lines.forEach((line: unknown, index) => {
    const where = `line ${index + 1}`;
    if (!isRecord(line) || !isRecord(line.eventBody) || typeof line.eventHash !== 'string' || typeof line.bookedAt !== 'string') {
      fail(`${where}: missing eventBody, eventHash or bookedAt`);
      return;
    }
    if (typeof line.eventId !== 'string' || seenEventIds.has(line.eventId)) fail(`${where}: event id missing or listed twice`);
    else seenEventIds.add(line.eventId);
    const body = line.eventBody as EventBody;
    const shapeFailure = eventBodyShapeFailure(line.eventBody);
    if (shapeFailure !== null) {
      fail(`${where}: ${shapeFailure}`);
      return;
    }
    // Under hash scheme 2 the body carries the event id and booking time the hash covers:
    // the line must show those, not others.
    if ('hashScheme' in body && (body.eventId !== line.eventId || body.recordedAt !== line.bookedAt)) {
      fail(`${where}: eventId or bookedAt differs from the event body that the hash covers`);
    }
    let recomputedHash: string;
    try {
      recomputedHash = portableHashOfEventBody(body);
    } catch (error) {
      fail(`${where}: the event body cannot be hashed: ${(error as Error).message}`);
      return;
    }
    if (recomputedHash !== line.eventHash) fail(`${where}: the event body does not hash to eventHash`);
    try {
      const { figures, developerId, conversionFailure } = statementFiguresOf(body, line.bookedAt);
      if (figures === null) fail(`${where}: a ${body.type} event is no statement line`);
      else {
        if (developerId !== statement.developerId) fail(`${where}: the event belongs to developer ${developerId}`);
        for (const field of STATEMENT_FIGURE_FIELDS) {
          if (!statementFigureMatches(line, figures, field)) fail(`${where}: ${field} ${JSON.stringify(line[field])} does not follow from the event (${JSON.stringify(figures[field])})`);
        }
        // The conversion fields are on a converted payout's lines only: absent on both sides elsewhere.
        for (const field of STATEMENT_CONVERSION_FIELDS) {
          if (line[field] !== figures[field]) fail(`${where}: ${field} ${JSON.stringify(line[field])} does not follow from the event (${JSON.stringify(figures[field])})`);
        }
        // The event itself may be hashed and sealed and still say a wrong amount: recomputed from its rate.
        if (conversionFailure !== null) fail(`${where}: the payout's conversion does not follow from its rate: ${conversionFailure}`);
        const amountMinor = minorOfDecimal(figures.amount, figures.currency)!;
        let total = totals.get(figures.currency);
        if (!total) { total = { creditsMinor: 0n, debitsMinor: 0n }; totals.set(figures.currency, total); }
        if (amountMinor >= 0n) total.creditsMinor += amountMinor;
        else total.debitsMinor -= amountMinor;
      }
    } catch (error) {
      fail(`${where}: the event body is not a valid ledger event: ${(error as Error).message}`);
    }
    const bookedAt = line.bookedAt;
    let inPeriod = false;
    try {
      inPeriod = !bookedBefore(bookedAt, period.startIso) && bookedBefore(bookedAt, period.endIso);
    } catch {
      inPeriod = false;
    }
    if (!inPeriod) fail(`${where}: booked at ${bookedAt}, outside ${period.name}`);
    if (seal === null) return;
    if (line.merkleRoot !== seal.merkleRoot || line.sealPeriod !== seal.period) fail(`${where}: proof is not against the statement's seal`);
    const leafIndex = line.leafIndex;
    const proof = line.proof;
    if (typeof leafIndex !== 'number' || !Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= seal.eventCount) {
      fail(`${where}: no leaf index inside the seal's ${seal.eventCount} events (the line is not covered by the seal)`);
      return;
    }
    if (!Array.isArray(proof) || proof.length > PROOF_STEPS_MAXIMUM) {
      fail(`${where}: the proof must be a list of at most ${PROOF_STEPS_MAXIMUM} steps`);
      return;
    }
    const sides = expectedProofSides(leafIndex, seal.eventCount);
    if (sides.length !== proof.length || proof.some((step: ProofStep, stepIndex: number) => !isRecord(step) || step.side !== sides[stepIndex])) {
      fail(`${where}: the proof's path does not lead from leaf ${leafIndex} of ${seal.eventCount}`);
      return;
    }
    try {
      const root = merkleRootFromProof(merkleLeafBytesOf(line.eventHash, line.bookedAt), proof as ProofStep[]);
      if (root !== seal.merkleRoot) fail(`${where}: the inclusion proof leads to ${root}, not to the sealed root`);
    } catch (error) {
      fail(`${where}: malformed proof: ${(error as Error).message}`);
    }
  });

  const currenciesSeen = new Set<string>();
  for (const balance of statement.balances as unknown[]) {
    if (!isRecord(balance) || typeof balance.currency !== 'string') {
      fail('balances: an entry without a currency');
      continue;
    }
    const currency = balance.currency;
    currenciesSeen.add(currency);
    let figures: Record<'opening' | 'credits' | 'debits' | 'closing' | 'pending' | 'available', bigint | null>;
    try {
      figures = {
        opening: minorOfDecimal(balance.opening, currency), credits: minorOfDecimal(balance.credits, currency),
        debits: minorOfDecimal(balance.debits, currency), closing: minorOfDecimal(balance.closing, currency),
        pending: minorOfDecimal(balance.pending, currency), available: minorOfDecimal(balance.available, currency),
      };
    } catch (error) {
      fail(`balances ${currency}: ${(error as Error).message}`);
      continue;
    }
    if (Object.values(figures).some((value) => value === null)) {
      fail(`balances ${currency}: every amount must be a decimal string with the currency's decimals`);
      continue;
    }
    const { opening, credits, debits, closing, pending, available } = figures as Record<keyof typeof figures, bigint>;
    const total = totals.get(currency) ?? { creditsMinor: 0n, debitsMinor: 0n };
    if (credits !== total.creditsMinor || debits !== total.debitsMinor) fail(`balances ${currency}: credits and debits are not the sums of the lines`);
    if (opening + credits - debits !== closing) fail(`balances ${currency}: opening + credits - debits is not the closing balance`);
    if (pending + available !== closing) fail(`balances ${currency}: pending + available is not the closing balance`);
  }
  for (const currency of totals.keys()) if (!currenciesSeen.has(currency)) fail(`balances: no balance for ${currency}, which lines use`);

  const transparencyLog = checkStatementLogProofs(statement, options, fail);
  return { ...report(seal !== null, seal, statement.lines.length), transparencyLog };
}

const EVENT_BODY_KEYS_V1 = ['data', 'previousEventHash', 'type'];
const EVENT_BODY_KEYS_V2 = ['actor', 'commandId', 'data', 'eventId', 'hashScheme', 'previousEventHash', 'recordedAt', 'schemaVersion', 'streamName', 'streamVersion', 'type'];

/** Null when the body has exactly the fields of its hash scheme (1 or 2), else what is wrong. */
function eventBodyShapeFailure(body: { [key: string]: unknown }): string | null {
  const keys = Object.keys(body).sort();
  const expected = body.hashScheme === undefined ? EVENT_BODY_KEYS_V1 : body.hashScheme === 2 ? EVENT_BODY_KEYS_V2 : null;
  if (expected === null) return `the event body names an unknown hash scheme ${JSON.stringify(body.hashScheme)}`;
  if (keys.length !== expected.length || keys.some((key, index) => key !== expected[index])) return `the event body does not have exactly the fields of its hash scheme`;
  if (typeof body.type !== 'string' || !isRecord(body.data)) return 'the event body has no type or data';
  return null;
}

import { canonicalJson } from '@rsi/domain';
import { ed25519SignatureHolds, ed25519SpkiOfPem, equalBytes } from './portable-crypto';

/**
 * The `PeriodSealed` record as a verifier reads it, and the check of its Ed25519 signature
 * (browser-safe; signing is ../period-seal.ts, on node:crypto).
 *
 * The signature covers the canonical JSON of `{scheme, period, periodEnd, merkleScheme,
 * merkleRoot, eventCount}` and, from scheme v2 on, `previousSealHash` (docs/audit.md). Store
 * positions (`lastPosition`) and the sealing time are left out on purpose: positions change
 * when the events move to another store, and neither says anything about what the ledger held.
 */
export const SEALS_STREAM_NAME = 'seals';
export const PERIOD_SEALED_EVENT_TYPE = 'PeriodSealed';
/** Seals written before seals chained to each other: they name no previous seal. */
export const SEAL_SIGNATURE_SCHEME_V1 = 'rsi-ledger/period-seal/v1';
/** Seals that name the hash of the seal before them (null for the first). */
export const SEAL_SIGNATURE_SCHEME_V2 = 'rsi-ledger/period-seal/v2';
/** The scheme new seals are signed under. */
export const SEAL_SIGNATURE_SCHEME: SealSignatureScheme = SEAL_SIGNATURE_SCHEME_V2;
export type SealSignatureScheme = typeof SEAL_SIGNATURE_SCHEME_V1 | typeof SEAL_SIGNATURE_SCHEME_V2;
const HASH_HEX_PATTERN = /^[0-9a-f]{64}$/;

export type SealPosition = { commit: string; prepare: string };

export type PeriodSeal = {
  signatureScheme: SealSignatureScheme;
  /** Hex SHA-256 of the previous seal's signed message (`sealHashOf`); null for the first seal, and for every v1 seal. */
  previousSealHash: string | null;
  period: string;
  periodStart: string;
  /** Exclusive: the seal covers every event booked before it. */
  periodEnd: string;
  merkleScheme: string;
  /** Hex SHA-256 root over every event booked before `periodEnd`, in global order. */
  merkleRoot: string;
  eventCount: number;
  /** Global position of the last covered event, or null when it covers none. */
  lastPosition: SealPosition | null;
  /** SPKI PEM of the Ed25519 key that signed. */
  publicKey: string;
  /** Base64 Ed25519 signature of `sealSignedMessage`. */
  signature: string;
  sealedAt: string;
};

export type UnsignedSeal = Omit<PeriodSeal, 'publicKey' | 'signature'>;

export type SignedSealFields = Pick<PeriodSeal, 'signatureScheme' | 'previousSealHash' | 'period' | 'periodEnd' | 'merkleScheme' | 'merkleRoot' | 'eventCount'>;

export function sealSignedMessage(seal: SignedSealFields): string {
  const signed = {
    scheme: seal.signatureScheme,
    period: seal.period,
    periodEnd: seal.periodEnd,
    merkleScheme: seal.merkleScheme,
    merkleRoot: seal.merkleRoot,
    eventCount: String(seal.eventCount),
  };
  if (seal.signatureScheme === SEAL_SIGNATURE_SCHEME_V1) return canonicalJson(signed);
  return canonicalJson({ ...signed, previousSealHash: seal.previousSealHash });
}

/** True if the seal's signature holds under `publicKeyPem` (default: the key the seal names). */
export function sealSignatureHolds(seal: PeriodSeal, publicKeyPem: string = seal.publicKey): boolean {
  return ed25519SignatureHolds(sealSignedMessage(seal), publicKeyPem, seal.signature);
}

/** The same key, whatever the PEM's line breaks: compared by its DER bytes. */
export function samePublicKey(leftPem: string, rightPem: string): boolean {
  const left = ed25519SpkiOfPem(leftPem);
  const right = ed25519SpkiOfPem(rightPem);
  return left !== null && right !== null && equalBytes(left, right);
}

function stringField(data: Record<string, unknown>, name: string): string {
  const value = data[name];
  if (typeof value !== 'string') throw new Error(`PeriodSealed.${name} must be a string`);
  return value;
}

/** Reads a stored or received seal, field by field; anything else is refused. */
export function decodePeriodSeal(data: unknown): PeriodSeal {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error('a seal must be an object');
  const record = data as Record<string, unknown>;
  const eventCount = record.eventCount;
  if (typeof eventCount !== 'number' || !Number.isSafeInteger(eventCount) || eventCount < 0) throw new Error('PeriodSealed.eventCount must be a non-negative integer');
  const position = record.lastPosition;
  let lastPosition: SealPosition | null = null;
  if (position !== null) {
    if (position === undefined || typeof position !== 'object') throw new Error('PeriodSealed.lastPosition must be an object or null');
    const commit = (position as Record<string, unknown>).commit;
    const prepare = (position as Record<string, unknown>).prepare;
    if (typeof commit !== 'string' || !/^\d{1,20}$/.test(commit) || typeof prepare !== 'string' || !/^\d{1,20}$/.test(prepare)) {
      throw new Error('PeriodSealed.lastPosition must hold decimal strings commit and prepare');
    }
    lastPosition = { commit, prepare };
  }
  const merkleRoot = stringField(record, 'merkleRoot');
  if (!HASH_HEX_PATTERN.test(merkleRoot)) throw new Error('PeriodSealed.merkleRoot must be 64 lower-case hex digits');
  const { signatureScheme, previousSealHash } = decodeSealChainFields(record);
  return {
    signatureScheme, previousSealHash,
    period: stringField(record, 'period'), periodStart: stringField(record, 'periodStart'), periodEnd: stringField(record, 'periodEnd'),
    merkleScheme: stringField(record, 'merkleScheme'), merkleRoot, eventCount, lastPosition,
    publicKey: stringField(record, 'publicKey'), signature: stringField(record, 'signature'), sealedAt: stringField(record, 'sealedAt'),
  };
}

/**
 * A seal without `signatureScheme` was written under v1 and names no previous seal; a
 * decoded v1 seal passed on (in a statement) may carry `signatureScheme` v1 and a null link.
 */
function decodeSealChainFields(record: Record<string, unknown>): { signatureScheme: SealSignatureScheme; previousSealHash: string | null } {
  const scheme = record.signatureScheme ?? SEAL_SIGNATURE_SCHEME_V1;
  const link = record.previousSealHash ?? null;
  if (scheme !== SEAL_SIGNATURE_SCHEME_V1 && scheme !== SEAL_SIGNATURE_SCHEME_V2) throw new Error(`PeriodSealed.signatureScheme ${JSON.stringify(scheme)} is not known`);
  if (scheme === SEAL_SIGNATURE_SCHEME_V1 && link !== null) throw new Error('PeriodSealed: a v1 seal names no previous seal');
  if (scheme === SEAL_SIGNATURE_SCHEME_V2 && record.previousSealHash === undefined) throw new Error('PeriodSealed.previousSealHash is required from scheme v2 on (null for the first seal)');
  if (link !== null && (typeof link !== 'string' || !HASH_HEX_PATTERN.test(link))) throw new Error('PeriodSealed.previousSealHash must be 64 lower-case hex digits or null');
  return { signatureScheme: scheme, previousSealHash: link as string | null };
}


import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../../../domain/src';
import { MERKLE_SCHEME } from './merkle-tree';

/**
 * The `PeriodSealed` event and its Ed25519 signature (pure: no I/O, no clock).
 *
 * The signature covers the canonical JSON of `{scheme, period, periodEnd, merkleScheme,
 * merkleRoot, eventCount}` (docs/audit.md). Store positions (`lastPosition`) and the sealing
 * time are left out on purpose: positions change when the events move to another store,
 * and neither says anything about what the ledger held.
 */
export const SEALS_STREAM_NAME = 'seals';
export const PERIOD_SEALED_EVENT_TYPE = 'PeriodSealed';
export const SEAL_SIGNATURE_SCHEME = 'rsi-ledger/period-seal/v1';
const PEM_LENGTH_MAXIMUM = 1_000;

export type SealPosition = { commit: string; prepare: string };

export type PeriodSeal = {
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

export function sealSignedMessage(seal: Pick<PeriodSeal, 'period' | 'periodEnd' | 'merkleScheme' | 'merkleRoot' | 'eventCount'>): string {
  return canonicalJson({
    scheme: SEAL_SIGNATURE_SCHEME,
    period: seal.period,
    periodEnd: seal.periodEnd,
    merkleScheme: seal.merkleScheme,
    merkleRoot: seal.merkleRoot,
    eventCount: String(seal.eventCount),
  });
}

export function signSeal(unsigned: UnsignedSeal, privateKey: KeyObject, publicKeyPem: string): PeriodSeal {
  const signature = sign(null, Buffer.from(sealSignedMessage(unsigned), 'utf8'), privateKey).toString('base64');
  return { ...unsigned, publicKey: publicKeyPem, signature };
}

/** True if the seal's signature holds under `publicKeyPem` (default: the key the seal names). */
export function sealSignatureHolds(seal: PeriodSeal, publicKeyPem: string = seal.publicKey): boolean {
  try {
    if (publicKeyPem.length > PEM_LENGTH_MAXIMUM) return false;
    const key = createPublicKey({ key: publicKeyPem, format: 'pem' });
    if (key.asymmetricKeyType !== 'ed25519') return false;
    return verify(null, Buffer.from(sealSignedMessage(seal), 'utf8'), key, Buffer.from(seal.signature, 'base64'));
  } catch {
    return false;
  }
}

/** The same key, whatever the PEM's line breaks: compared by its DER bytes. */
export function samePublicKey(leftPem: string, rightPem: string): boolean {
  try {
    const left = createPublicKey({ key: leftPem, format: 'pem' }).export({ type: 'spki', format: 'der' });
    const right = createPublicKey({ key: rightPem, format: 'pem' }).export({ type: 'spki', format: 'der' });
    return left.equals(right);
  } catch {
    return false;
  }
}

export function encodePeriodSeal(seal: PeriodSeal): { [key: string]: string | number | null | { commit: string; prepare: string } } {
  return {
    period: seal.period, periodStart: seal.periodStart, periodEnd: seal.periodEnd, merkleScheme: seal.merkleScheme,
    merkleRoot: seal.merkleRoot, eventCount: seal.eventCount,
    lastPosition: seal.lastPosition === null ? null : { commit: seal.lastPosition.commit, prepare: seal.lastPosition.prepare },
    publicKey: seal.publicKey, signature: seal.signature, sealedAt: seal.sealedAt,
  };
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
  if (!/^[0-9a-f]{64}$/.test(merkleRoot)) throw new Error('PeriodSealed.merkleRoot must be 64 lower-case hex digits');
  return {
    period: stringField(record, 'period'), periodStart: stringField(record, 'periodStart'), periodEnd: stringField(record, 'periodEnd'),
    merkleScheme: stringField(record, 'merkleScheme'), merkleRoot, eventCount, lastPosition,
    publicKey: stringField(record, 'publicKey'), signature: stringField(record, 'signature'), sealedAt: stringField(record, 'sealedAt'),
  };
}

export { MERKLE_SCHEME };

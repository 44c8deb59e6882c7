import { createHash, sign, type KeyObject } from 'node:crypto';
import { SEAL_SIGNATURE_SCHEME_V1, sealSignedMessage, type PeriodSeal, type UnsignedSeal } from './verifier/seal-record';

export {
  decodePeriodSeal, PERIOD_SEALED_EVENT_TYPE, samePublicKey, SEAL_SIGNATURE_SCHEME, SEAL_SIGNATURE_SCHEME_V1, SEAL_SIGNATURE_SCHEME_V2,
  sealSignatureHolds, sealSignedMessage, SEALS_STREAM_NAME,
} from './verifier/seal-record';
export type { PeriodSeal, SealPosition, SealSignatureScheme, SignedSealFields, UnsignedSeal } from './verifier/seal-record';
export { MERKLE_SCHEME } from './verifier/merkle-proof';

/**
 * Signing the `PeriodSealed` event (pure: no I/O, no clock). The record, its decoding and
 * the check of its signature are browser-safe, in ./verifier/seal-record.ts.
 */
/**
 * What the next seal names: the hex SHA-256 of this seal's signed message. The message
 * holds this seal's own `previousSealHash`, so the hashes chain every seal to the first,
 * and removing or replacing one in the middle breaks the link of the seal after it.
 */
export function sealHashOf(seal: Parameters<typeof sealSignedMessage>[0]): string {
  return createHash('sha256').update(sealSignedMessage(seal), 'utf8').digest('hex');
}

export function signSeal(unsigned: UnsignedSeal, privateKey: KeyObject, publicKeyPem: string): PeriodSeal {
  const signature = sign(null, Buffer.from(sealSignedMessage(unsigned), 'utf8'), privateKey).toString('base64');
  return { ...unsigned, publicKey: publicKeyPem, signature };
}

export function encodePeriodSeal(seal: PeriodSeal): { [key: string]: string | number | null | { commit: string; prepare: string } } {
  // A v1 seal keeps the shape it was written with (its event hash covers that shape).
  const chain: { [key: string]: string | null } = seal.signatureScheme === SEAL_SIGNATURE_SCHEME_V1
    ? {} : { signatureScheme: seal.signatureScheme, previousSealHash: seal.previousSealHash };
  return {
    ...chain,
    period: seal.period, periodStart: seal.periodStart, periodEnd: seal.periodEnd, merkleScheme: seal.merkleScheme,
    merkleRoot: seal.merkleRoot, eventCount: seal.eventCount,
    lastPosition: seal.lastPosition === null ? null : { commit: seal.lastPosition.commit, prepare: seal.lastPosition.prepare },
    publicKey: seal.publicKey, signature: seal.signature, sealedAt: seal.sealedAt,
  };
}


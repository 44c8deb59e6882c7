import { generateKeyPairSync } from 'node:crypto';
import { MERKLE_SCHEME } from './merkle-tree';
import { decodePeriodSeal, encodePeriodSeal, SEAL_SIGNATURE_SCHEME_V1, SEAL_SIGNATURE_SCHEME_V2, sealHashOf, sealSignatureHolds, signSeal, type PeriodSeal, type SealSignatureScheme } from './period-seal';
import { auditSealKeyChain, parsePinnedPublicKeys, type SealStreamEntry } from './seal-key-chain';
import { publicKeyPemOf } from './seal-signing-key';

const key = generateKeyPairSync('ed25519').privateKey;
const keyPem = publicKeyPemOf(key);

function sealOf(period: string, periodEnd: string, link: { scheme: 'v1' } | { scheme: 'v2'; previous: PeriodSeal | null }): PeriodSeal {
  const chain: { signatureScheme: SealSignatureScheme; previousSealHash: string | null } = link.scheme === 'v1'
    ? { signatureScheme: SEAL_SIGNATURE_SCHEME_V1, previousSealHash: null }
    : { signatureScheme: SEAL_SIGNATURE_SCHEME_V2, previousSealHash: link.previous === null ? null : sealHashOf(link.previous) };
  return signSeal({
    ...chain, period, periodStart: '2026-01-01T00:00:00.000Z', periodEnd, merkleScheme: MERKLE_SCHEME,
    merkleRoot: 'a'.repeat(64), eventCount: 3, lastPosition: null, sealedAt: periodEnd,
  }, key, keyPem);
}

const seals = (...list: PeriodSeal[]): SealStreamEntry[] => list.map((seal) => ({ kind: 'seal', seal }));

describe('seals chained by hash, and seals written before the chain (v1)', () => {
  it('a v1 seal keeps its stored shape and its v1 signature, and reads back as unlinked', () => {
    const v1 = sealOf('2026-01', '2026-02-01T00:00:00.000Z', { scheme: 'v1' });
    const stored = encodePeriodSeal(v1);
    expect(Object.keys(stored)).not.toContain('signatureScheme');
    expect(Object.keys(stored)).not.toContain('previousSealHash');
    const decoded = decodePeriodSeal(JSON.parse(JSON.stringify(stored)));
    expect(decoded).toMatchObject({ signatureScheme: SEAL_SIGNATURE_SCHEME_V1, previousSealHash: null });
    expect(sealSignatureHolds(decoded)).toBe(true);
    // The link is signed from v2 on: changing it breaks the signature.
    const v2 = sealOf('2026-02', '2026-03-01T00:00:00.000Z', { scheme: 'v2', previous: v1 });
    expect(sealSignatureHolds({ ...v2, previousSealHash: 'c'.repeat(64) })).toBe(false);
    expect(() => decodePeriodSeal({ ...encodePeriodSeal(v2), previousSealHash: undefined })).toThrow(/previousSealHash is required/);
  });

  it('older seals verify as the first of a chain; a v2 seal after them names the last one', () => {
    const january = sealOf('2026-01', '2026-02-01T00:00:00.000Z', { scheme: 'v1' });
    const february = sealOf('2026-02', '2026-03-01T00:00:00.000Z', { scheme: 'v1' });
    const march = sealOf('2026-03', '2026-04-01T00:00:00.000Z', { scheme: 'v2', previous: february });
    const audit = auditSealKeyChain(seals(january, february, march), [keyPem]);
    expect([...audit.failuresByEntry]).toEqual([]);
  });

  it('a v2 seal naming another seal, and a v1 seal after the chain began, are findings', () => {
    const january = sealOf('2026-01', '2026-02-01T00:00:00.000Z', { scheme: 'v2', previous: null });
    const february = sealOf('2026-02', '2026-03-01T00:00:00.000Z', { scheme: 'v2', previous: january });
    const march = sealOf('2026-03', '2026-04-01T00:00:00.000Z', { scheme: 'v2', previous: february });
    const withoutFebruary = auditSealKeyChain(seals(january, march), null);
    expect(withoutFebruary.failuresByEntry.get(1)).toEqual([`names previous seal ${sealHashOf(february)}, but the seal before it is ${sealHashOf(january)}: a seal was removed or replaced before it`]);
    const downgrade = auditSealKeyChain(seals(january, sealOf('2026-02', '2026-03-01T00:00:00.000Z', { scheme: 'v1' })), null);
    expect(downgrade.failuresByEntry.get(1)).toEqual([expect.stringMatching(/a v1 seal .* a downgrade/)]);
  });

  it('a pinned key file may hold several keys; anything else in it is refused', () => {
    const other = publicKeyPemOf(generateKeyPairSync('ed25519').privateKey);
    expect(parsePinnedPublicKeys(`${keyPem}\n# new chain after a lost key\n${other}`, 'pins.pem')).toHaveLength(2);
    expect(() => parsePinnedPublicKeys('not a key', 'pins.pem')).toThrow('pins.pem: no PEM public key');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => parsePinnedPublicKeys(rsa, 'pins.pem')).toThrow('pins.pem: key 1 is not an Ed25519 public key');
  });
});

import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { hashOfEventBody } from '../../core/event-hash';
import { developerStreamName } from '../../developer-ledger';
import { merkleLeafOf } from '../merkle-tree';
import { portableHashOfEventBody } from './event-body-hash';
import { publicKeyFingerprint } from './key-rotation-record';
import { merkleLeafBytesOf } from './merkle-proof';
import { bytesOfHex, ed25519SignatureHolds, ed25519SpkiOfPem, hexOfBytes } from './portable-crypto';
import { developerStreamNameOf } from './statement-log-check';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const signatureOf = (message: string) => sign(null, Buffer.from(message, 'utf8'), privateKey).toString('base64');

describe('the portable verifier crypto (the same bytes as node:crypto)', () => {
  it('hashes an event body as the write path does, whatever the characters', () => {
    const body = { type: 'RevenueRecorded', data: { note: 'café ✓ 𝄞', amountMinor: '1250' }, previousEventHash: '0'.repeat(64) };
    expect(portableHashOfEventBody(body)).toBe(hashOfEventBody(body));
    expect(portableHashOfEventBody({ ...body, previousEventHash: '1'.repeat(64) })).not.toBe(hashOfEventBody(body));
  });

  it('computes the seal tree leaf of the builder', () => {
    const eventHash = createHash('sha256').update('event').digest('hex');
    expect(hexOfBytes(merkleLeafBytesOf(eventHash, '2026-03-04T05:06:07.089Z'))).toBe(merkleLeafOf(eventHash, '2026-03-04T05:06:07.089Z').toString('hex'));
  });

  it('checks an Ed25519 signature made by node:crypto, and refuses an altered message, another key or a malformed signature', () => {
    const message = '{"merkleRoot":"ab","period":"2026-03"}';
    const signature = signatureOf(message);
    expect(ed25519SignatureHolds(message, publicKeyPem, signature)).toBe(true);
    expect(ed25519SignatureHolds(`${message} `, publicKeyPem, signature)).toBe(false);
    const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(ed25519SignatureHolds(message, other, signature)).toBe(false);
    expect(ed25519SignatureHolds(message, publicKeyPem, signature.slice(4))).toBe(false);
    expect(ed25519SignatureHolds(message, publicKeyPem, 'not base64 at all!')).toBe(false);
  });

  it('names a key by the SHA-256 of its DER, as node does, and refuses what is no Ed25519 key', () => {
    const der = publicKey.export({ type: 'spki', format: 'der' });
    expect(publicKeyFingerprint(publicKeyPem)).toBe(createHash('sha256').update(der).digest('hex'));
    expect(publicKeyFingerprint(publicKeyPem.replace(/\n/g, '\r\n'))).toBe(publicKeyFingerprint(publicKeyPem));
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(ed25519SpkiOfPem(rsa)).toBeNull();
    expect(publicKeyFingerprint('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----')).toBeNull();
  });

  it('reads only lower-case hex of even length', () => {
    expect(bytesOfHex('00ff')).toEqual(Uint8Array.of(0, 255));
    expect(bytesOfHex('0F')).toBeNull();
    expect(bytesOfHex('abc')).toBeNull();
  });

  it('names the developer stream as the developer ledger does', () => {
    expect(developerStreamNameOf('dev_7')).toBe(developerStreamName('dev_7'));
  });
});

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  verifyLedger, readSeals, rotateSealKey, sealPeriod, publicKeyPemOf, EVENT_HASH_SCHEME_CURRENT, expectedEventHashOf,
} from '@rsi/ledger';
import { openTestLedger, type TestLedger } from './support/test-ledger';

/**
 * Seals and key rotations as the CLI writes them (no `sealedAt`, no `rotatedAt`): booked at
 * commit on the ledger clock, the signed instant is the booking time of their event, and
 * their events are hashed under the current scheme (2), chained on the seals stream.
 */
function newKey(): KeyObject {
  return generateKeyPairSync('ed25519').privateKey;
}

describe('seals and key rotations booked on the ledger clock', () => {
  let ledger: TestLedger;

  beforeAll(async () => {
    ledger = await openTestLedger({ bookingTime: 'ledger-clock' });
  });

  afterAll(async () => {
    await ledger?.cleanup();
  });

  it('signs the booking time, hashes under scheme 2, and verifies', async () => {
    const firstKey = newKey();
    const secondKey = newKey();
    const clockBefore = await ledger.runtime.store.advanceLedgerClock!();

    const january = await sealPeriod(ledger.runtime.store, { period: '2026-01', signingKey: () => firstKey, actor: 'test:seal' });
    const rotation = await rotateSealKey(ledger.runtime.store, { currentKey: firstKey, nextKey: secondKey, actor: 'test:rotate' });
    const february = await sealPeriod(ledger.runtime.store, { period: '2026-02', signingKey: () => secondKey, actor: 'test:seal' });
    expect([january.status, rotation.status, february.status]).toEqual(['sealed', 'rotated', 'sealed']);
    // A repeat answers with what is stored, whatever the clock reads now.
    expect(await rotateSealKey(ledger.runtime.store, { currentKey: firstKey, nextKey: secondKey, actor: 'test:rotate' }))
      .toMatchObject({ status: 'already_rotated', eventId: rotation.eventId, rotation: { rotatedAt: rotation.rotation.rotatedAt } });
    expect(await sealPeriod(ledger.runtime.store, { period: '2026-01', signingKey: () => secondKey, actor: 'test:seal' }))
      .toMatchObject({ status: 'already_sealed', seal: { sealedAt: january.seal.sealedAt } });

    const { entries } = await readSeals(ledger.runtime.store);
    expect(entries.map((entry) => entry.kind)).toEqual(['seal', 'rotation', 'seal']);
    const signedInstants = [january.seal.sealedAt, rotation.rotation.rotatedAt, february.seal.sealedAt];
    expect(entries.map((entry) => entry.event.metadata.recordedAt)).toEqual(signedInstants);
    // Booked later than the clock read before, strictly increasing.
    expect(clockBefore < signedInstants[0]!).toBe(true);
    expect(signedInstants[0]! < signedInstants[1]! && signedInstants[1]! < signedInstants[2]!).toBe(true);
    for (const entry of entries) {
      expect(entry.event.metadata.hashScheme).toBe(EVENT_HASH_SCHEME_CURRENT);
      expect(expectedEventHashOf(entry.event, entry.event.metadata.previousEventHash)).toBe(entry.event.metadata.eventHash);
    }

    const report = await verifyLedger(ledger.runtime, () => Date.now(), { pinnedPublicKeys: [publicKeyPemOf(firstKey)] });
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.sealKeys).toEqual({ pinned: true, keysSeen: 2, rotations: 1 });
  });
});

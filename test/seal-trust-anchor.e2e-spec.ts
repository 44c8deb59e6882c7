import { PersonalDataKeys } from '@rsi/database';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  buildDeveloperStatement, introduceWriterKey, verifyLedger, type VerifyReport, encodePeriodSeal, sealHashOf, signSeal, readSeals, rotateSealKey, sealPeriod, publicKeyPemOf, verifyStatement,
} from '@rsi/ledger';
import { BOOKED_LEDGER, bookThreeMonths } from './support/booked-ledger';
import { openTestLedger, type TestLedger } from './support/test-ledger';

/**
 * The trust anchor: seals verified against the platform's published key (pinned by the
 * auditor), key rotations signed by both keys, and seals that chain to each other.
 */
const JANUARY_SEALED_AT = '2026-02-01T00:00:00.000Z';
const FEBRUARY_SEALED_AT = '2026-03-01T08:00:00.000Z';
const MARCH_SEALED_AT = '2026-04-01T08:00:00.000Z';

function sealCheckOf(report: VerifyReport) {
  return report.checks.find((check) => check.name.startsWith('seals:'))!;
}

function newKey(): KeyObject {
  return generateKeyPairSync('ed25519').privateKey;
}

async function sealThreeMonths(ledger: TestLedger, keys: { january: KeyObject; february: KeyObject; march: KeyObject }): Promise<void> {
  const seal = (period: string, sealedAt: string, key: KeyObject) =>
    sealPeriod(ledger.runtime.store, { period, sealedAt, signingKey: () => key, actor: 'test:seal' });
  await seal('2026-01', JANUARY_SEALED_AT, keys.january);
  await seal('2026-02', FEBRUARY_SEALED_AT, keys.february);
  await seal('2026-03', MARCH_SEALED_AT, keys.march);
}

describe('a pinned trust anchor: the published seal key, rotations, chained seals', () => {
  const publishedKey = newKey();
  const publishedPem = publicKeyPemOf(publishedKey);
  let ledger: TestLedger;

  beforeAll(async () => {
    ledger = await openTestLedger();
    await bookThreeMonths(ledger.runtime);
    await sealThreeMonths(ledger, { january: publishedKey, february: publishedKey, march: publishedKey });
    // As "rsi-ledger seal" does: the seal key introduces the writer key the ledger was written with.
    await introduceWriterKey(ledger.runtime.store, { writerPublicKey: ledger.runtime.writerSigner!.publicKeyPem, previousWriterPublicKey: null, sealKey: publishedKey, actor: 'test:seal' });
  });

  afterAll(async () => {
    await ledger?.cleanup();
  });

  it('verify with the pinned published key passes and says the keys were pinned', async () => {
    const report = await verifyLedger(ledger.runtime, () => Date.now(), { pinnedPublicKeys: [publishedPem] });
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.sealKeys).toEqual({ pinned: true, keysSeen: 1, rotations: 0 });
    expect(report.warnings).toEqual([]);
    expect(sealCheckOf(report)).toMatchObject({ ok: true, checked: 3, name: expect.stringContaining('by the pinned keys') });
  });

  it('verify without a pinned key passes (exit 0) but says plainly that the seals were checked only against themselves', async () => {
    const report = await verifyLedger(ledger.runtime, () => Date.now());
    expect(report.ok).toBe(true);
    expect(report.sealKeys.pinned).toBe(false);
    expect(report.warnings).toEqual([expect.stringMatching(/^seal keys: not pinned, so the seals were checked only against the keys they name themselves/)]);
  });

  it('a ledger rebuilt from the same commands and sealed under a fresh key fails verify given the published key', async () => {
    const rebuilt = await openTestLedger();
    try {
      await bookThreeMonths(rebuilt.runtime);
      const forger = newKey();
      await sealThreeMonths(rebuilt, { january: forger, february: forger, march: forger });
      // Unpinned, the forgery is indistinguishable: everything holds against itself.
      expect((await verifyLedger(rebuilt.runtime, () => Date.now())).ok).toBe(true);
      const pinned = await verifyLedger(rebuilt.runtime, () => Date.now(), { pinnedPublicKeys: [publishedPem] });
      expect(pinned.ok).toBe(false);
      const sealCheck = sealCheckOf(pinned);
      expect(sealCheck.failures).toBe(3);
      expect(sealCheck.examples[0]).toMatch(/^seal 2026-01: signed by key [0-9a-f]{16}, which is neither a pinned key nor joined to one by a rotation/);
    } finally {
      await rebuilt.cleanup();
    }
  });

  it('removing a seal in the middle is detected by the seal after it', async () => {
    const copy = await openTestLedger();
    try {
      await bookThreeMonths(copy.runtime);
      await sealThreeMonths(copy, { january: publishedKey, february: publishedKey, march: publishedKey });
      const [january, february] = (await readSeals(copy.runtime.store)).seals;
      await copy.runtime.connection.pool.query(`DELETE FROM events WHERE stream_name = 'seals' AND event_id = $1`, [february!.event.eventId]);
      const report = await verifyLedger(copy.runtime, () => Date.now(), { pinnedPublicKeys: [publishedPem] });
      expect(report.ok).toBe(false);
      const examples = sealCheckOf(report).examples.join('\n');
      const march = (await readSeals(copy.runtime.store)).seals[1]!.seal;
      expect(march.previousSealHash).toMatch(/^[0-9a-f]{64}$/);
      expect(examples).toContain(`seal 2026-03: names previous seal ${march.previousSealHash}, but the seal before it is ${sealHashOf(january!.seal)}: a seal was removed or replaced before it`);
    } finally {
      await copy.cleanup();
    }
  });

  it('replacing a seal in the middle, even re-signed with the right key, is detected by the seal after it', async () => {
    const copy = await openTestLedger();
    try {
      await bookThreeMonths(copy.runtime);
      await sealThreeMonths(copy, { january: publishedKey, february: publishedKey, march: publishedKey });
      const february = (await readSeals(copy.runtime.store)).seals[1]!;
      const { publicKey: _publicKey, signature: _signature, ...unsigned } = february.seal;
      const replacement = signSeal({ ...unsigned, merkleRoot: 'b'.repeat(64) }, publishedKey, publishedPem);
      await copy.runtime.connection.pool.query(`UPDATE events SET data = $2::json WHERE event_id = $1`, [february.event.eventId, JSON.stringify(encodePeriodSeal(replacement))]);
      const report = await verifyLedger(copy.runtime, () => Date.now(), { pinnedPublicKeys: [publishedPem] });
      const examples = sealCheckOf(report).examples.join('\n');
      expect(examples).toMatch(/seal 2026-03: names previous seal [0-9a-f]{64}, but the seal before it is [0-9a-f]{64}: a seal was removed or replaced before it/);
      expect(report.ok).toBe(false);
    } finally {
      await copy.cleanup();
    }
  });
});

describe('seal key rotation and a new chain of keys after a lost key', () => {
  const firstKey = newKey();
  const secondKey = newKey();
  const lostKeyReplacement = newKey();
  const pemOf = publicKeyPemOf;
  let ledger: TestLedger;
  const seal = (period: string, sealedAt: string, key: KeyObject, startNewKeyChain = false) =>
    sealPeriod(ledger.runtime.store, { period, sealedAt, signingKey: () => key, actor: 'test:seal', startNewKeyChain });

  beforeAll(async () => {
    ledger = await openTestLedger();
    await bookThreeMonths(ledger.runtime);
  });

  afterAll(async () => {
    await ledger?.cleanup();
  });

  it('a rotation signed by the outgoing and the incoming key lets either pinned key verify every seal', async () => {
    await seal('2026-01', JANUARY_SEALED_AT, firstKey);
    const rotation = await rotateSealKey(ledger.runtime.store, { currentKey: firstKey, nextKey: secondKey, rotatedAt: '2026-02-15T00:00:00.000Z', actor: 'test:rotate' });
    expect(rotation.status).toBe('rotated');
    expect(await rotateSealKey(ledger.runtime.store, { currentKey: firstKey, nextKey: secondKey, rotatedAt: '2026-02-16T00:00:00.000Z', actor: 'test:rotate' }))
      .toMatchObject({ status: 'already_rotated', eventId: rotation.eventId });
    // The retired key never signs again; the incoming one does.
    await expect(seal('2026-02', FEBRUARY_SEALED_AT, firstKey)).rejects.toMatchObject({ code: 'seal_key_not_current', message: expect.stringContaining('retired') });
    await seal('2026-02', FEBRUARY_SEALED_AT, secondKey);

    for (const pinned of [firstKey, secondKey]) {
      const report = await verifyLedger(ledger.runtime, () => Date.now(), { pinnedPublicKeys: [pemOf(pinned)] });
      expect(report.checks.filter((check) => !check.ok)).toEqual([]);
      expect(report.sealKeys).toEqual({ pinned: true, keysSeen: 2, rotations: 1 });
      // Two seals and one rotation hold.
      expect(sealCheckOf(report)).toMatchObject({ ok: true, checked: 3 });
    }

    // The statement carries the rotation, so the offline check follows it from the old key.
    const february = JSON.parse(JSON.stringify(await buildDeveloperStatement(ledger.runtime.store, new PersonalDataKeys(ledger.runtime.connection.pool), { developerId: BOOKED_LEDGER.developerId, period: '2026-02' })));
    expect(february.sealKeyRotations).toHaveLength(1);
    expect(verifyStatement(february, { pinnedPublicKeys: [pemOf(firstKey)] })).toMatchObject({ ok: true, publicKeySource: 'given' });
    const withoutRotation = { ...february, sealKeyRotations: [] };
    expect(verifyStatement(withoutRotation, { pinnedPublicKeys: [pemOf(firstKey)] }).failures.join('\n')).toMatch(/no key rotation the statement carries joins it/);
    const forgedRotation = structuredClone(february);
    forgedRotation.sealKeyRotations[0].signatureByPrevious = forgedRotation.sealKeyRotations[0].signatureByNext;
    expect(verifyStatement(forgedRotation, { pinnedPublicKeys: [pemOf(firstKey)] }).failures.join('\n')).toMatch(/do not both hold/);
  });

  it('a seal signed by a key no rotation introduced is refused when sealing, and fails a pinned verify until the new key is pinned too', async () => {
    await expect(seal('2026-03', MARCH_SEALED_AT, lostKeyReplacement)).rejects.toMatchObject({ code: 'seal_key_not_current' });
    // The documented lost-key procedure: an explicit new chain of keys.
    await seal('2026-03', MARCH_SEALED_AT, lostKeyReplacement, true);

    const oldAnchor = await verifyLedger(ledger.runtime, () => Date.now(), { pinnedPublicKeys: [pemOf(firstKey)] });
    expect(oldAnchor.ok).toBe(false);
    expect(sealCheckOf(oldAnchor).examples).toEqual([expect.stringMatching(/^seal 2026-03: signed by key [0-9a-f]{16}, which is neither a pinned key nor joined to one by a rotation/)]);
    expect(oldAnchor.warnings.join('\n')).toMatch(/seal 2026-03: .* with no rotation: a new chain of keys starts here/);

    // The auditor re-pins explicitly, with the new key obtained out of band beside the old one.
    const rePinned = await verifyLedger(ledger.runtime, () => Date.now(), { pinnedPublicKeys: [pemOf(firstKey), pemOf(lostKeyReplacement)] });
    expect(rePinned.checks.filter((check) => !check.ok)).toEqual([]);
    expect(rePinned.ok).toBe(true);
  });
});

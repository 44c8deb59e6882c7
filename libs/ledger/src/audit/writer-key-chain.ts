import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from '@rsi/domain';
import {
  deriveEventId, DuplicateEventIdError, StreamVersionConflictError, writerKeyIdOf, type EventMetadata, type EventStore, type NewEvent, type RecordedEvent,
} from '@rsi/event-store';
import { EVENT_HASH_SCHEME_CURRENT, eventHashBodyV2Of, GENESIS_EVENT_HASH, hashOfEventBody } from '../core/event-hash';
import { EVENT_SCHEMA_VERSION } from '../write-pipeline/command-write.pipeline';
import { publicKeyFingerprint } from './seal-key-chain';
import { publicKeyPemOf } from './seal-signing-key';

/**
 * Writer keys are anchored by the seal key: a `WriterKeyIntroduced` event in the
 * `writer-keys` stream, signed by the seal key, names a writer public key (and, for a
 * rotation, the key it replaces, which is retired from that event on). `verify` accepts
 * writer signatures only under keys so introduced by a seal key the auditor trusts (pinned,
 * or joined to a pinned key by seal key rotations).
 */
export const WRITER_KEYS_STREAM_NAME = 'writer-keys';
export const WRITER_KEY_INTRODUCED_EVENT_TYPE = 'WriterKeyIntroduced';
export const WRITER_KEY_INTRODUCTION_SCHEME = 'rsi-ledger/writer-key-introduction/v1';
const PEM_LENGTH_MAXIMUM = 1_000;
const SIGNATURE_BASE64_LENGTH_MAXIMUM = 200;
const WRITER_KEYS_READ_MAXIMUM = 10_000;
const CONFLICT_ATTEMPTS_MAXIMUM = 5;

export type WriterKeyIntroduction = {
  signatureScheme: typeof WRITER_KEY_INTRODUCTION_SCHEME;
  writerPublicKey: string;
  /** The writer key this one replaces (retired from this event on); null for a first key, or a key beside others. */
  previousWriterPublicKey: string | null;
  sealPublicKey: string;
  /** Base64 Ed25519 signature by the seal key of `introductionSignedMessage`. */
  signatureBySeal: string;
};

export function introductionSignedMessage(introduction: Pick<WriterKeyIntroduction, 'writerPublicKey' | 'previousWriterPublicKey' | 'sealPublicKey'>): Buffer {
  return Buffer.from(canonicalJson({
    scheme: WRITER_KEY_INTRODUCTION_SCHEME, writerPublicKey: introduction.writerPublicKey,
    previousWriterPublicKey: introduction.previousWriterPublicKey, sealPublicKey: introduction.sealPublicKey,
  }), 'utf8');
}

export function introductionSignatureHolds(introduction: WriterKeyIntroduction): boolean {
  try {
    if (publicKeyFingerprint(introduction.sealPublicKey) === null || introduction.signatureBySeal.length > SIGNATURE_BASE64_LENGTH_MAXIMUM) return false;
    return verify(null, introductionSignedMessage(introduction), createPublicKey({ key: introduction.sealPublicKey, format: 'pem' }), Buffer.from(introduction.signatureBySeal, 'base64'));
  } catch {
    return false;
  }
}

export function decodeWriterKeyIntroduction(data: unknown): WriterKeyIntroduction {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error('a writer key introduction must be an object');
  const record = data as Record<string, unknown>;
  const text = (name: string, lengthMaximum: number): string => {
    const value = record[name];
    if (typeof value !== 'string' || value.length > lengthMaximum) throw new Error(`WriterKeyIntroduced.${name} must be a string of at most ${lengthMaximum} characters`);
    return value;
  };
  if (record.signatureScheme !== WRITER_KEY_INTRODUCTION_SCHEME) throw new Error(`WriterKeyIntroduced.signatureScheme must be ${WRITER_KEY_INTRODUCTION_SCHEME}`);
  const previous = record.previousWriterPublicKey;
  if (previous !== null && (typeof previous !== 'string' || previous.length > PEM_LENGTH_MAXIMUM)) throw new Error('WriterKeyIntroduced.previousWriterPublicKey must be a PEM or null');
  return {
    signatureScheme: WRITER_KEY_INTRODUCTION_SCHEME, writerPublicKey: text('writerPublicKey', PEM_LENGTH_MAXIMUM), previousWriterPublicKey: previous,
    sealPublicKey: text('sealPublicKey', PEM_LENGTH_MAXIMUM), signatureBySeal: text('signatureBySeal', SIGNATURE_BASE64_LENGTH_MAXIMUM),
  };
}

export type RecordedIntroduction = { introduction: WriterKeyIntroduction; event: RecordedEvent };

export async function readWriterKeyIntroductions(store: EventStore): Promise<{ introductions: RecordedIntroduction[]; events: RecordedEvent[] }> {
  const read = await store.readStream(WRITER_KEYS_STREAM_NAME, { maxCount: WRITER_KEYS_READ_MAXIMUM });
  const introductions: RecordedIntroduction[] = [];
  for (const event of read.events) {
    if (event.type !== WRITER_KEY_INTRODUCED_EVENT_TYPE) continue;
    try {
      introductions.push({ introduction: decodeWriterKeyIntroduction(event.data), event });
    } catch {
      // verify reports it; an undecodable introduction introduces nothing.
    }
  }
  return { introductions, events: read.events };
}

export type IntroductionOutcome = { status: 'introduced' | 'already_introduced'; keyId: string; eventId: string };

/**
 * Appends `WriterKeyIntroduced` for `writerPublicKey`, signed by the seal key, unless this
 * seal key already introduced it (idempotent: a rerun finds it). The append itself is signed
 * by the store's writer key, which for a rotation is the incoming key.
 */
export async function introduceWriterKey(
  store: EventStore,
  options: { writerPublicKey: string; previousWriterPublicKey: string | null; sealKey: KeyObject; actor: string },
): Promise<IntroductionOutcome> {
  const keyId = writerKeyIdOf(options.writerPublicKey);
  if (keyId === null) throw new Error('the writer public key is not an Ed25519 public key');
  const sealPublicKey = publicKeyPemOf(options.sealKey);
  const sealFingerprint = publicKeyFingerprint(sealPublicKey)!;
  const commandId = `IntroduceWriterKey:${keyId}:${sealFingerprint}`;
  const eventId = deriveEventId(commandId, 0);
  for (let attempt = 1; ; attempt += 1) {
    const { introductions, events } = await readWriterKeyIntroductions(store);
    const recorded = introductions.find((entry) => writerKeyIdOf(entry.introduction.writerPublicKey) === keyId
      && publicKeyFingerprint(entry.introduction.sealPublicKey) === sealFingerprint && introductionSignatureHolds(entry.introduction));
    if (recorded) return { status: 'already_introduced', keyId, eventId: recorded.event.eventId };
    const unsigned = { writerPublicKey: options.writerPublicKey, previousWriterPublicKey: options.previousWriterPublicKey, sealPublicKey };
    const introduction: WriterKeyIntroduction = {
      signatureScheme: WRITER_KEY_INTRODUCTION_SCHEME, ...unsigned,
      signatureBySeal: sign(null, introductionSignedMessage(unsigned), options.sealKey).toString('base64'),
    };
    const last = events[events.length - 1];
    const lastEventHash = last ? String(last.metadata.eventHash) : GENESIS_EVENT_HASH;
    const expectedStreamVersion = last ? last.streamVersion : 'no_stream';
    const streamVersion = last ? last.streamVersion + 1n : 0n;
    const data = { ...introduction };
    const eventAt = (bookedAt: string): NewEvent => {
      const metadata: EventMetadata = {
        commandId, actor: options.actor, recordedAt: bookedAt, schemaVersion: EVENT_SCHEMA_VERSION,
        hashScheme: EVENT_HASH_SCHEME_CURRENT, previousEventHash: lastEventHash, eventHash: '',
      };
      metadata.eventHash = hashOfEventBody(eventHashBodyV2Of({
        streamName: WRITER_KEYS_STREAM_NAME, streamVersion, eventId, type: WRITER_KEY_INTRODUCED_EVENT_TYPE, data, metadata,
      }, lastEventHash));
      return { eventId, type: WRITER_KEY_INTRODUCED_EVENT_TYPE, data, metadata };
    };
    try {
      // Booked at commit on the store's ledger clock; a store without one books on this process's clock.
      const result = await store.appendToStream(WRITER_KEYS_STREAM_NAME, [eventAt(new Date().toISOString())], {
        expectedStreamVersion,
        complete: (bookedAt) => [{ streamName: WRITER_KEYS_STREAM_NAME, expectedStreamVersion, events: [eventAt(bookedAt)] }],
      });
      if (result.alreadyStored) continue;
      return { status: 'introduced', keyId, eventId };
    } catch (error) {
      const concurrent = error instanceof StreamVersionConflictError || error instanceof DuplicateEventIdError;
      if (!concurrent || attempt >= CONFLICT_ATTEMPTS_MAXIMUM) throw error;
    }
  }
}

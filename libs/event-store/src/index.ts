export { deriveEventId } from './event-id';
export { EVENT_STORE, EVENT_STORE_DESCRIPTION, EventStoreModule, WRITER_SIGNER } from './event-store.module';
export { DuplicateEventIdError, EVENT_STORE_LIMITS, StreamVersionConflictError, compareGlobalPositions } from './event-store.port';
export type { AllEventsSubscriptionSource, AppendCompletion, AppendResult, CommittedAppendObserver, CommittedEventsJson, EventMetadata, EventStore, ExpectedStreamVersion, GlobalPosition, JsonObject, NewEvent, RecordedEvent, StreamAppend } from './event-store.port';
export { PostgresEventStore } from './postgres/postgres-event-store';
export { FileWriterSigner, KeyWriterSigner, WRITER_SIGNATURE_SCHEME, writerKeyIdOf, writerSignatureHolds, writerSignedMessage } from './writer-signatures/writer-signature';
export type { WriterSigner } from './writer-signatures/writer-signature';
export {
  WRITER_PRIVATE_KEY_FILE_NAME, installNextWriterPrivateKey, nextWriterPrivateKeyPath, readOrCreateWriterPrivateKey, readWriterPrivateKey, writerPrivateKeyPath,
} from './writer-signatures/writer-signing-key';
export { operatorConfigurationDirectory, readEd25519KeyFile, readOrCreateEd25519KeyFile } from './signing-keys/ed25519-key-file';
export type { Ed25519KeyFileRole } from './signing-keys/ed25519-key-file';

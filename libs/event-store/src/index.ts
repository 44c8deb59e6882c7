export { deriveEventId } from './event-id';
export { EVENT_STORE, EVENT_STORE_DESCRIPTION, EventStoreModule } from './event-store.module';
export { DuplicateEventIdError, EVENT_STORE_LIMITS, StreamVersionConflictError, compareGlobalPositions } from './event-store.port';
export type { AllEventsSubscriptionSource, AppendCompletion, AppendResult, EventMetadata, EventStore, ExpectedStreamVersion, GlobalPosition, JsonObject, NewEvent, RecordedEvent, StreamAppend } from './event-store.port';
export { PostgresEventStore } from './postgres/postgres-event-store';

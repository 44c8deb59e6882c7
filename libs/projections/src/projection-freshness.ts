import { describeFailedEvent, formatPosition, type ProjectionFailure } from './projection-failures';

/** Failures named in one `Rsi-Projection-Stale` header; the count of the others follows them. */
const STALE_HEADER_FAILURES_MAXIMUM = 10;

/** What a read's answer is made of: one projection, and the streams whose events decide it. */
export type ReadSubject = {
  projectionName: string;
  /** Streams whose held events would make this answer wrong (e.g. `developer-<id>`). */
  streamNames?: readonly string[];
  /** Stream name prefixes that decide it too (e.g. `price-books-` for priced consumption). */
  streamNamePrefixes?: readonly string[];
};

/** The open failures of the read's projection. */
export function failuresOfProjection(openFailures: readonly ProjectionFailure[], projectionName: string): ProjectionFailure[] {
  return openFailures.filter((failure) => failure.projectionName === projectionName && failure.resolution === null);
}

/** The open failures that hold back a stream the read's answer depends on: it would be wrong. */
export function failuresHoldingSubject(openFailures: readonly ProjectionFailure[], subject: ReadSubject): ProjectionFailure[] {
  const streams = new Set(subject.streamNames ?? []);
  const prefixes = subject.streamNamePrefixes ?? [];
  return failuresOfProjection(openFailures, subject.projectionName)
    .filter((failure) => streams.has(failure.streamName) || prefixes.some((prefix) => failure.streamName.startsWith(prefix)));
}

/**
 * `Rsi-Projection-Stale`: `<projection>; stream=<name>; position=<commit/prepare>; event=<id>`
 * per held stream, comma-separated, so that a client sees what the answer lacks.
 */
export function staleHeaderValue(failures: readonly ProjectionFailure[]): string {
  const named = failures.slice(0, STALE_HEADER_FAILURES_MAXIMUM)
    .map((failure) => `${failure.projectionName}; stream=${failure.streamName}; position=${formatPosition(failure.position)}; event=${failure.eventId}`);
  if (failures.length > STALE_HEADER_FAILURES_MAXIMUM) named.push(`${failures[0]!.projectionName}; more=${failures.length - STALE_HEADER_FAILURES_MAXIMUM}`);
  return named.join(', ');
}

/** Why a read is refused: the first failure, named, and what an operator does about it. */
export function haltedMessage(subject: string, failures: readonly ProjectionFailure[]): string {
  const first = failures[0]!;
  const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : '';
  return `${subject} cannot be answered correctly: ${describeFailedEvent(first)} could not be applied${more}, ` +
    `so the projection holds back stream ${first.streamName} from there (error: ${first.errorMessage}); ` +
    'an operator resolves it with "rsi-ledger projections retry" or "rsi-ledger projections skip"';
}

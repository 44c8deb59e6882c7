import type { Response } from 'express';
import type { LedgerRuntime } from '@rsi/ledger';
import {
  failuresHoldingSubject, failuresOfProjection, haltedMessage, staleHeaderValue, type ReadSubject,
} from '@rsi/projections';
import type { ProjectionFailure } from '@rsi/projections';
import { ApiError } from './api-error';

export const PROJECTION_STALE_HEADER = 'Rsi-Projection-Stale';

/**
 * How a read reacts to a projection that holds back a stream after a poisoned event
 * (docs/architecture.md, "A poisoned event"):
 * - a read whose answer depends on a held stream (that developer's balances, splits, unit
 *   economics) is refused with 503 `projection_halted`, naming the event: a developer is
 *   never shown a wrong balance;
 * - any other read of that projection is answered from the data as it stands, with the
 *   header `Rsi-Projection-Stale` naming what it lacks;
 * - reads of other projections, and every other developer's reads, are not touched.
 */
export class ReadFreshness {
  constructor(private readonly openFailures: readonly ProjectionFailure[]) {}

  static async catchUp(runtime: LedgerRuntime): Promise<ReadFreshness> {
    const { openFailures } = await runtime.projector.catchUp();
    return new ReadFreshness(openFailures);
  }

  /** True when the projection holds back no stream at all. */
  complete(projectionName: string): boolean {
    return failuresOfProjection(this.openFailures, projectionName).length === 0;
  }

  /** 503 `projection_halted` when the answer about `subjectText` depends on a held stream. */
  refuseIfHeld(subject: ReadSubject, subjectText: string): void {
    const holding = failuresHoldingSubject(this.openFailures, subject);
    if (holding.length > 0) throw new ApiError(503, 'projection_halted', haltedMessage(subjectText, holding));
  }

  /** 503 `projection_halted` when the projection holds back any stream (exports, not-found answers). */
  refuseIfAnyHeld(projectionName: string, subjectText: string): void {
    const holding = failuresOfProjection(this.openFailures, projectionName);
    if (holding.length > 0) throw new ApiError(503, 'projection_halted', haltedMessage(subjectText, holding));
  }

  /** Sets `Rsi-Projection-Stale` when the projection holds back any stream. */
  markStale(response: Response, projectionName: string): void {
    const holding = failuresOfProjection(this.openFailures, projectionName);
    if (holding.length > 0) response.setHeader(PROJECTION_STALE_HEADER, staleHeaderValue(holding));
  }
}

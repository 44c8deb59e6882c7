import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import { DomainError, encodeDeveloperEvent, formatMoney, type DeveloperEvent } from '@rsi/domain';
import type { CommandContext, CommandOutcome, LedgerRuntime } from '@rsi/ledger';
import { ApiError, STATUS_OF_DOMAIN_ERROR_KIND } from './api-error';
import { failedCommandErrorBody } from './failed-command';
import { errorBodyOf } from './api-exception.filter';
import { actorOf } from './route-access.guard';
import { LEDGER_RUNTIME } from '../api-settings';
import { idempotencyKeyOf, IdempotencyKeyStore, requestHashOf, type StoredResponse } from './idempotency-key.store';
import type { RequestWithRawBody } from './request-body';
import { MetricsService } from '../operations/metrics.service';

export type CommandResponse = { statusCode: number; body: unknown; replayed: boolean };

type SplitLineOut = { party: string; amount: string };

/** The split lines of a receipt, or the reversal lines of a refund or dispute, as decimal strings. */
function linesOf(events: readonly DeveloperEvent[]): SplitLineOut[] | undefined {
  for (const event of events) {
    if (event.type === 'RevenueRecorded' || event.type === 'RevenueRefunded' || event.type === 'DisputeOpened' || event.type === 'DisputeResolved') {
      return event.data.lines.map((line) => ({ party: line.party, amount: formatMoney(line.amountMinor, event.data.currency) }));
    }
  }
  return undefined;
}

/**
 * Runs one command for an HTTP request: honours its Idempotency-Key (replay of the stored
 * response, 422 on reuse with another request), executes it on the command bus with the
 * request's actor and the server's clock, and maps the outcome to a status and body.
 */
@Injectable()
export class CommandEndpointService {
  private readonly idempotencyKeys: IdempotencyKeyStore;
  private readonly logger = new Logger('CommandEndpoint');

  constructor(@Inject(LEDGER_RUNTIME) private readonly runtime: LedgerRuntime, private readonly metrics: MetricsService) {
    this.idempotencyKeys = new IdempotencyKeyStore(runtime.connection.pool);
  }

  handle(request: Request, type: string, data: Record<string, unknown>): Promise<CommandResponse> {
    // The bus checks the shape once more, exactly as for a JSONL line.
    return this.handleWith(request, type, (context) => this.runtime.bus.execute(this.runtime.bus.parse({ ...data, type }), context));
  }

  /** An erasure of a developer's personal data (docs/http-api.md): its event, then the destruction of the data key. */
  handleErasure(request: Request, developerId: string, reason: string | null): Promise<CommandResponse> {
    return this.handleWith(request, 'ErasePersonalData', (context) => this.runtime.ledger.erasePersonalData({ developerId, reason }, context));
  }

  private async handleWith(request: Request, command: string, run: (context: CommandContext) => Promise<CommandOutcome>): Promise<CommandResponse> {
    const actor = actorOf(request);
    const idempotencyKey = idempotencyKeyOf(request.headers);
    const path = request.originalUrl;
    const requestHash = requestHashOf(request.method, path, (request as RequestWithRawBody).rawBody);
    if (idempotencyKey !== undefined) {
      const stored = await this.idempotencyKeys.find(actor, idempotencyKey);
      if (stored !== null) return this.replay(stored, requestHash);
    }
    const { statusCode, body } = await this.execute(actor, command, run);
    // A 5xx (a command that failed for the ledger's own fault) is not stored: once the fault
    // is fixed, the same request under the same key must be able to succeed.
    if (idempotencyKey !== undefined && statusCode < 500) {
      const existing = await this.idempotencyKeys.saveOrGetExisting({
        actor, idempotencyKey, method: request.method, path, requestHash, statusCode, body,
      });
      if (existing !== null) return this.replay(existing, requestHash);
    }
    return { statusCode, body, replayed: false };
  }

  private replay(stored: StoredResponse, requestHash: string): CommandResponse {
    if (stored.requestHash !== requestHash) {
      throw new ApiError(422, 'idempotency_key_reused', 'this Idempotency-Key was used for another request (method, path or body differ)', 'Idempotency-Key');
    }
    return { statusCode: stored.statusCode, body: stored.body, replayed: true };
  }

  /**
   * Refusals and commands that failed alone are responses (stored with the key when 4xx);
   * any other error propagates to the exception filter (a 500), not stored.
   */
  private async execute(actor: string, command: string, run: (context: CommandContext) => Promise<CommandOutcome>): Promise<{ statusCode: number; body: unknown }> {
    try {
      const outcome = await run({ actor, recordedAt: new Date().toISOString() });
      this.countOutcome(command, outcome);
      switch (outcome.status) {
        case 'recorded': {
          const lines = linesOf(outcome.events);
          const body: Record<string, unknown> = {
            status: 'recorded',
            commandId: outcome.commandId,
            events: outcome.events.map((event) => encodeDeveloperEvent(event)),
          };
          if (lines !== undefined) body.lines = lines;
          return { statusCode: 201, body };
        }
        case 'already_recorded':
          return { statusCode: 200, body: { status: 'already_recorded', commandId: outcome.commandId, events: [] } };
        case 'refused':
          return { statusCode: STATUS_OF_DOMAIN_ERROR_KIND[outcome.error.kind], body: errorBodyOf(outcome.error) };
        case 'failed': {
          const body = failedCommandErrorBody(outcome.commandId, outcome.error, this.logger);
          return { statusCode: body.statusCode, body };
        }
      }
    } catch (error) {
      if (error instanceof DomainError) {
        this.metrics.countCommand(command, 'refused', error.code, 0);
        return { statusCode: STATUS_OF_DOMAIN_ERROR_KIND[error.kind], body: errorBodyOf(error) };
      }
      throw error;
    }
  }

  private countOutcome(command: string, outcome: CommandOutcome): void {
    switch (outcome.status) {
      case 'recorded':
        this.metrics.countCommand(command, 'recorded', 'recorded', outcome.events.length);
        return;
      case 'already_recorded':
        this.metrics.countCommand(command, 'already_recorded', 'already_recorded', 0);
        return;
      case 'refused':
        this.metrics.countCommand(command, 'refused', outcome.error.code, 0);
        return;
      case 'failed':
        this.metrics.countCommand(command, 'failed', outcome.error.code, 0);
    }
  }
}

import { Body, Controller, Get, HttpCode, Inject, Logger, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { READ_REPLICA, type ReadReplica } from '@rsi/database';
import { DomainError, parseInstant } from '@rsi/domain';
import type { LedgerCommand, LedgerRuntime } from '@rsi/ledger';
import {
  UNIT_ECONOMICS_SQL, REVENUE_CATEGORIES_SQL, type UnitEconomicsRow, unitEconomicsFiguresOf, revenueCategoryFiguresOf, consumptionStreamName, priceBookStreamName, developerStreamName,
} from '@rsi/ledger';
import { ApiError } from '../http/api-error';
import { errorBodyOf } from '../http/api-exception.filter';
import { actorOf, developerScopeOf } from '../http/route-access.guard';
import { CommandResponseDto } from '../http/api-responses.dto';
import { LEDGER_RUNTIME } from '../api-settings';
import { CommandEndpointService } from '../http/command-endpoint.service';
import { failedCommandErrorBody } from '../http/failed-command';
import {
  CONSUMPTION_BATCH_RECORDS_MAXIMUM, ConsumptionBatchResponseDto, PublishPriceBookDto, RecordConsumptionBatchDto, RecordConsumptionDto, UnitEconomicsQueryDto, UnitEconomicsResponseDto,
} from './consumption.dto';
import { idempotencyKeyOf, IdempotencyKeyStore, requestHashOf } from '../http/idempotency-key.store';
import {
  API_KEY_SECURITY, COMMAND_ERROR_STATUSES, ErrorResponses, IDEMPOTENT_REPLAYED_HEADER, IdempotencyKeyHeader, IdentifierPathParameter,
  READ_ERROR_STATUSES,
} from '../http/openapi-document';
import { identifierParameter } from '../http/path-parameters';
import { ReadFreshness } from '../http/projection-freshness';
import type { RequestWithRawBody } from '../http/request-body';
import { markStaleTolerantRead, STALE_TOLERANT_READ_HEADERS } from '../http/stale-tolerant-read';

function CommandResponses(): MethodDecorator {
  const decorators: MethodDecorator[] = [
    ApiCreatedResponse({ type: CommandResponseDto, description: 'Recorded. `events` is empty: consumption events are shared by the records of a batch.', headers: IDEMPOTENT_REPLAYED_HEADER }),
    ApiOkResponse({ type: CommandResponseDto, description: 'Already recorded with identical content: nothing written.', headers: IDEMPOTENT_REPLAYED_HEADER }),
    ErrorResponses(COMMAND_ERROR_STATUSES, {
      400: 'validation_failed, malformed_json, idempotency_key_invalid, or a domain refusal (quantity_*, meter_*, unit_price_*, no_price_book_in_effect…).',
      404: 'unknown_app.',
      409: 'duplicate_consumption_record, duplicate_price_book, price_book_not_after_*.',
    }),
    IdempotencyKeyHeader(),
    HttpCode(201),
  ];
  return (target, key, descriptor) => {
    for (const decorator of decorators) decorator(target, key, descriptor);
  };
}

/**
 * The RSI side over HTTP: consumption (one record or a batch), price books, and the unit
 * economics of an app. Errors follow the API's conventions ({statusCode, code, message, field}).
 */
@ApiTags('consumption')
@ApiSecurity(API_KEY_SECURITY)
@Controller('v1')
export class ConsumptionController {
  private readonly idempotencyKeys: IdempotencyKeyStore;
  private readonly logger = new Logger('ConsumptionController');

  constructor(
    private readonly commands: CommandEndpointService,
    @Inject(LEDGER_RUNTIME) private readonly runtime: LedgerRuntime,
    @Inject(READ_REPLICA) private readonly readReplica: ReadReplica,
  ) {
    this.idempotencyKeys = new IdempotencyKeyStore(runtime.connection.pool);
  }

  private async send(request: Request, response: Response, type: string, data: object): Promise<void> {
    const result = await this.commands.handle(request, type, data as Record<string, unknown>);
    if (result.replayed) response.setHeader('Idempotent-Replayed', 'true');
    response.status(result.statusCode).json(result.body);
  }

  @Post('consumption')
  @ApiOperation({ summary: 'RecordConsumption: one consumption record of an app' })
  @CommandResponses()
  recordConsumption(@Req() request: Request, @Res() response: Response, @Body() body: RecordConsumptionDto): Promise<void> {
    return this.send(request, response, 'RecordConsumption', body);
  }

  @Post('price-books')
  @ApiOperation({ summary: 'PublishPriceBook: list price and unit cost per meter, effective from an instant, per currency' })
  @CommandResponses()
  publishPriceBook(@Req() request: Request, @Res() response: Response, @Body() body: PublishPriceBookDto): Promise<void> {
    return this.send(request, response, 'PublishPriceBook', body);
  }

  @Post('consumption/batch')
  @HttpCode(200)
  @ApiOperation({ summary: 'RecordConsumption for up to 500 records: one append per app stream; one outcome per record' })
  @ApiOkResponse({ type: ConsumptionBatchResponseDto, description: 'Per-record outcomes; a refused record writes nothing and does not stop the others.', headers: IDEMPOTENT_REPLAYED_HEADER })
  @ErrorResponses([400, 401, 413, 415, 422, 500, 503], {
    400: `validation_failed (records is not an array of 1..${CONSUMPTION_BATCH_RECORDS_MAXIMUM} objects), malformed_json or idempotency_key_invalid.`,
  })
  @IdempotencyKeyHeader()
  async recordConsumptionBatch(@Req() request: Request, @Res() response: Response, @Body() body: RecordConsumptionBatchDto): Promise<void> {
    const actor = actorOf(request);
    const idempotencyKey = idempotencyKeyOf(request.headers);
    const path = request.originalUrl;
    const requestHash = requestHashOf(request.method, path, (request as RequestWithRawBody).rawBody);
    const replay = (stored: { requestHash: string; statusCode: number; body: unknown }) => {
      if (stored.requestHash !== requestHash) {
        throw new ApiError(422, 'idempotency_key_reused', 'this Idempotency-Key was used for another request (method, path or body differ)', 'Idempotency-Key');
      }
      response.setHeader('Idempotent-Replayed', 'true');
      response.status(stored.statusCode).json(stored.body);
    };
    if (idempotencyKey !== undefined) {
      const stored = await this.idempotencyKeys.find(actor, idempotencyKey);
      if (stored !== null) return replay(stored);
    }
    const result = await this.executeBatch(actor, body.records);
    // A record that failed for the ledger's own fault (500) must be retryable under the same
    // key once the fault is fixed: such a response is not stored.
    const failedInternally = result.outcomes.some((outcome) => (outcome.error as { statusCode?: unknown } | undefined)?.statusCode === 500);
    if (idempotencyKey !== undefined && !failedInternally) {
      const existing = await this.idempotencyKeys.saveOrGetExisting({ actor, idempotencyKey, method: request.method, path, requestHash, statusCode: 200, body: result });
      if (existing !== null) return replay(existing);
    }
    response.status(200).json(result);
  }

  /** Shape-checks every record alone (a bad one is refused alone), then decides the rest as one batch. */
  private async executeBatch(actor: string, records: Record<string, unknown>[]): Promise<ConsumptionBatchResponseDto> {
    const outcomes: ConsumptionBatchResponseDto['outcomes'] = records.map((record) => ({ recordId: String(record.recordId ?? ''), status: 'pending' }));
    const commands: LedgerCommand[] = [];
    const indexOfCommand: number[] = [];
    records.forEach((record, index) => {
      try {
        commands.push(this.runtime.bus.parse({ ...record, type: 'RecordConsumption' }));
        indexOfCommand.push(index);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        outcomes[index] = { recordId: outcomes[index]!.recordId, status: 'refused', error: errorBodyOf(error)! };
      }
    });
    if (commands.length > 0) {
      const decided = await this.runtime.bus.executeBatch(commands, { actor, recordedAt: new Date().toISOString() });
      decided.forEach((outcome, commandIndex) => {
        const index = indexOfCommand[commandIndex]!;
        const recordId = outcomes[index]!.recordId;
        if (outcome.status === 'refused') {
          outcomes[index] = { recordId, status: 'refused', commandId: outcome.commandId, error: errorBodyOf(outcome.error)! };
        } else if (outcome.status === 'failed') {
          outcomes[index] = { recordId, status: 'failed', commandId: outcome.commandId, error: failedCommandErrorBody(outcome.commandId, outcome.error, this.logger) };
        } else {
          outcomes[index] = { recordId, status: outcome.status, commandId: outcome.commandId };
        }
      });
    }
    const count = (status: string) => outcomes.filter((outcome) => outcome.status === status).length;
    return { recorded: count('recorded'), alreadyRecorded: count('already_recorded'), refused: count('refused'), failed: count('failed'), outcomes };
  }

  @Get('apps/:appId/unit-economics')
  @ApiOperation({ summary: 'Unit economics of an app per UTC month: revenue, platform share, pay-per-use equivalent, cost, margin, saving' })
  @ApiOkResponse({ type: UnitEconomicsResponseDto, description: 'The figures are read from the replica (DATABASE_READ_URL) when one is configured: see the headers.', headers: STALE_TOLERANT_READ_HEADERS })
  @ErrorResponses(READ_ERROR_STATUSES, { 400: 'validation_failed or instant_malformed (from, to, appId).', 404: 'unknown_app.' })
  @IdentifierPathParameter('appId', 'App id.')
  async unitEconomics(
    @Req() request: Request,
    @Param('appId') appIdParameter: string,
    @Query() query: UnitEconomicsQueryDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<UnitEconomicsResponseDto> {
    const appId = identifierParameter(appIdParameter, 'appId');
    const from = query.from === undefined ? null : parseInstant(query.from, 'from').iso;
    const to = query.to === undefined ? null : parseInstant(query.to, 'to').iso;
    const freshness = await ReadFreshness.catchUp(this.runtime);
    const pool = this.runtime.connection.pool;
    const app = await pool.query<{ developer_id: string }>('SELECT developer_id FROM apps WHERE app_id = $1', [appId]);
    const subject = `the unit economics of app ${JSON.stringify(appId)}`;
    // Another developer's app is answered exactly as an app nobody registered.
    const scope = developerScopeOf(request);
    if (app.rows.length === 0 || (scope !== null && app.rows[0]!.developer_id !== scope)) {
      freshness.refuseIfAnyHeld('ledger', subject);
      throw new ApiError(404, 'unknown_app', `appId: no app ${JSON.stringify(appId)} is registered`, 'appId');
    }
    // Its revenue (developer stream), its consumption, and the prices of every price book.
    freshness.refuseIfHeld({
      projectionName: 'unit-economics',
      streamNames: [developerStreamName(String(app.rows[0].developer_id)), consumptionStreamName(appId)],
      streamNamePrefixes: [priceBookStreamName('')],
    }, subject);
    // The app's existence is asked of the primary (an app registered a moment ago is found);
    // the figures are finance reads that accept staleness: the standby's, when there is one.
    const reader = await this.readReplica.reader();
    markStaleTolerantRead(response, reader);
    const result = await reader.pool.query<UnitEconomicsRow>(`${UNIT_ECONOMICS_SQL} AND app_id = $4::text ORDER BY month`, [from, to, new Date(0).toISOString(), appId]);
    // The revenue side per revenue category, read in the same snapshot's terms (same projection).
    const categoryResult = await reader.pool.query<UnitEconomicsRow>(`${REVENUE_CATEGORIES_SQL} AND app_id = $4::text ORDER BY month, category`, [from, to, new Date(0).toISOString(), appId]);
    const categoriesByMonth = new Map<string, Record<string, string>[]>();
    for (const row of categoryResult.rows) {
      const { appId: _appId, developerId: _developerId, month, currency: _currency, ...figures } = revenueCategoryFiguresOf(row);
      const list = categoriesByMonth.get(month) ?? [];
      list.push(figures);
      categoriesByMonth.set(month, list);
    }
    const months = result.rows.map((row) => {
      const { appId: _appId, developerId: _developerId, ...figures } = unitEconomicsFiguresOf(row);
      return { ...figures, categories: categoriesByMonth.get(figures.month) ?? [] };
    });
    return { appId, developerId: app.rows[0].developer_id, months } as unknown as UnitEconomicsResponseDto;
  }
}

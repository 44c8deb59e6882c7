import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { developerBalancesBookedBy, developerStreamName, DEVELOPER_LEDGER_EXPORTS, UnknownDeveloperError, type ExportTextRow } from '@rsi/ledger';
import { parseInstant } from '@rsi/domain';
import type { LedgerRuntime } from '@rsi/ledger';
import { ApiError, validationFailed } from '../http/api-error';
import { DeveloperBalancesDto, SplitDto, SplitPageDto } from '../http/api-responses.dto';
import { LEDGER_RUNTIME } from '../api-settings';
import { developerScopeOf } from '../http/route-access.guard';
import { BalancesQueryDto, ListSplitsQueryDto, SPLITS_PAGE_LIMIT_DEFAULT, SPLITS_PAGE_LIMIT_MAXIMUM } from './ledger-reads.dto';
import { API_KEY_SECURITY, ErrorResponses, IdentifierPathParameter, READ_ERROR_STATUSES } from '../http/openapi-document';
import { identifierParameter } from '../http/path-parameters';
import { ReadFreshness } from '../http/projection-freshness';

/** The projection every read of this controller is served from. */
const LEDGER_PROJECTION = 'ledger';

const CURSOR_PATTERN = /^([0-9]{1,20})\.([0-9]{1,20})$/;

/** The page cursor: the (commit, prepare) position of the last split of the page, opaque to clients. */
function encodeCursor(commitPosition: string, preparePosition: string): string {
  return Buffer.from(`${commitPosition}.${preparePosition}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { commitPosition: string; preparePosition: string } {
  const match = CURSOR_PATTERN.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (match === null) throw validationFailed('after: not a cursor given by this API (use nextCursor of the previous page)', 'after');
  return { commitPosition: match[1]!, preparePosition: match[2]! };
}

/** The same columns as the `splits` export, plus the positions for the cursor. */
const SPLITS_PAGE_SQL = `
  SELECT receipt_id, app_id, developer_id, currency, amount_minor::text AS amount_minor, occurred_at::text AS occurred_at,
         recorded_at::text AS recorded_at, contract_version::text AS contract_version, contract_hash, lines::text AS lines,
         commit_position::text AS commit_position, prepare_position::text AS prepare_position, category
    FROM splits
   WHERE ($1::text IS NULL OR developer_id = $1::text)
     AND ($2::text IS NULL OR app_id = $2::text)
     AND ($3::timestamptz IS NULL OR occurred_at >= $3::timestamptz)
     AND ($4::timestamptz IS NULL OR occurred_at < $4::timestamptz)
     AND ($5::numeric IS NULL OR (commit_position, prepare_position) > ($5::numeric, $6::numeric))
     AND ($8::text IS NULL OR developer_id = $8::text)
   ORDER BY commit_position, prepare_position
   LIMIT $7`;

/** A row of SPLITS_PAGE_SQL: every column as text (exact), as the splits export reads it. */
type SplitsPageRow = {
  receipt_id: string; app_id: string; developer_id: string; currency: string; amount_minor: string; occurred_at: string; recorded_at: string;
  contract_version: string; contract_hash: string; lines: string; commit_position: string; prepare_position: string; category: string;
};

/**
 * Reads of the projections. Each first catches the projector up, so that a client reads
 * its own writes even between two ticks of the background projector. A read that depends
 * on a stream the projection holds back after a poisoned event is refused (503
 * `projection_halted`); another read is answered with `Rsi-Projection-Stale` (see
 * projection-freshness.ts).
 */
@ApiTags('reads')
@ApiSecurity(API_KEY_SECURITY)
@Controller('v1')
export class LedgerReadsController {
  constructor(@Inject(LEDGER_RUNTIME) private readonly runtime: LedgerRuntime) {}

  @Get('developers/:developerId/balances')
  @ApiOperation({ summary: 'Balances of a developer per currency, as of an instant (same computation as the balances export), or as booked by a past instant (bookedAsOf)' })
  @ApiOkResponse({ type: DeveloperBalancesDto })
  @ErrorResponses(READ_ERROR_STATUSES, { 400: 'validation_failed or instant_malformed (developerId, asOf, bookedAsOf).', 404: 'unknown_developer.' })
  @IdentifierPathParameter('developerId', 'Developer id.')
  async balances(@Req() request: Request, @Param('developerId') developerIdParameter: string, @Query() query: BalancesQueryDto): Promise<DeveloperBalancesDto> {
    const developerId = identifierParameter(developerIdParameter, 'developerId');
    const scope = developerScopeOf(request);
    const unknownDeveloper = new ApiError(404, 'unknown_developer', `developerId: no developer ${JSON.stringify(developerId)} is registered`, 'developerId');
    if (query.bookedAsOf !== undefined) {
      if (query.asOf !== undefined) throw validationFailed('asOf: not with bookedAsOf (the balances booked by an instant are told apart at that instant)', 'asOf');
      const bookedAsOf = parseInstant(query.bookedAsOf, 'bookedAsOf').iso;
      if (scope !== null && scope !== developerId) throw unknownDeveloper;
      // Read from the events themselves (the ledger as it stood), not from the projection.
      const balances = await developerBalancesBookedBy(this.runtime.store, { developerId, bookedAsOf }).catch((error: unknown) => {
        if (error instanceof UnknownDeveloperError) throw unknownDeveloper;
        throw error;
      });
      return { developerId, asOf: bookedAsOf, balances } as unknown as DeveloperBalancesDto;
    }
    const asOf = parseInstant(query.asOf ?? new Date().toISOString(), 'asOf').iso;
    const freshness = await ReadFreshness.catchUp(this.runtime);
    freshness.refuseIfHeld({ projectionName: LEDGER_PROJECTION, streamNames: [developerStreamName(developerId)] }, `the balances of developer ${JSON.stringify(developerId)}`);
    const pool = this.runtime.connection.pool;
    const developer = await pool.query('SELECT 1 FROM developers WHERE developer_id = $1', [developerId]);
    // Another developer's balances are answered exactly as a developer nobody registered.
    if (developer.rows.length === 0 || (scope !== null && scope !== developerId)) throw unknownDeveloper;
    const definition = DEVELOPER_LEDGER_EXPORTS.balances!;
    const result = await pool.query<ExportTextRow>(
      `SELECT q.*, $3::timestamptz::text AS as_of FROM (${definition.sql}) q WHERE q.developer_id = $4::text`,
      [null, null, asOf, developerId],
    );
    const balances = result.rows.map((row) => {
      const { developerId: _developerId, asOf: _asOf, ...balance } = definition.toObject(row) as Record<string, unknown>;
      return balance;
    });
    return { developerId, asOf, balances } as unknown as DeveloperBalancesDto;
  }

  @Get('receipts/:receiptId/split')
  @ApiOperation({ summary: 'The split of one receipt (shape of the splits export)' })
  @ApiOkResponse({ type: SplitDto })
  @ErrorResponses(READ_ERROR_STATUSES, { 400: 'validation_failed (receiptId).', 404: 'unknown_receipt.' })
  @IdentifierPathParameter('receiptId', 'Receipt id.')
  async split(@Req() request: Request, @Param('receiptId') receiptIdParameter: string, @Res({ passthrough: true }) response: Response): Promise<SplitDto> {
    const scope = developerScopeOf(request);
    const receiptId = identifierParameter(receiptIdParameter, 'receiptId');
    const freshness = await ReadFreshness.catchUp(this.runtime);
    const definition = DEVELOPER_LEDGER_EXPORTS.splits!;
    const result = await this.runtime.connection.pool.query<ExportTextRow>(
      `SELECT q.* FROM (${definition.sql}) q WHERE q.receipt_id = $4::text`,
      [null, null, new Date().toISOString(), receiptId],
    );
    const subject = `the split of receipt ${JSON.stringify(receiptId)}`;
    // Another developer's receipt is answered exactly as a receipt nobody recorded.
    if (result.rows.length === 0 || (scope !== null && result.rows[0]!.developer_id !== scope)) {
      // The receipt may be one of the events held back: "not recorded" could be false.
      freshness.refuseIfAnyHeld(LEDGER_PROJECTION, subject);
      throw new ApiError(404, 'unknown_receipt', `receiptId: no receipt ${JSON.stringify(receiptId)} is recorded`, 'receiptId');
    }
    freshness.refuseIfHeld({ projectionName: LEDGER_PROJECTION, streamNames: [developerStreamName(String(result.rows[0].developer_id))] }, subject);
    freshness.markStale(response, LEDGER_PROJECTION);
    return definition.toObject(result.rows[0]) as unknown as SplitDto;
  }

  @Get('splits')
  @ApiOperation({ summary: 'Splits in booking order, filtered and paginated by cursor' })
  @ApiOkResponse({ type: SplitPageDto })
  @ErrorResponses([400, 401, 500, 503], { 400: 'validation_failed or instant_malformed (a query parameter, or an after that is not a cursor of this API).' })
  async splits(@Req() request: Request, @Query() query: ListSplitsQueryDto, @Res({ passthrough: true }) response: Response): Promise<SplitPageDto> {
    // A developer key sees its own splits only, whatever the filters say.
    const scope = developerScopeOf(request);
    const limit = query.limit === undefined ? SPLITS_PAGE_LIMIT_DEFAULT : Number(query.limit);
    if (limit > SPLITS_PAGE_LIMIT_MAXIMUM) throw validationFailed(`limit: an integer from 1 to ${SPLITS_PAGE_LIMIT_MAXIMUM}`, 'limit');
    const from = query.from === undefined ? null : parseInstant(query.from, 'from').iso;
    const to = query.to === undefined ? null : parseInstant(query.to, 'to').iso;
    const after = query.after === undefined ? null : decodeCursor(query.after);
    const freshness = await ReadFreshness.catchUp(this.runtime);
    if (!freshness.complete(LEDGER_PROJECTION)) await this.refuseIfFilterHeld(freshness, query);
    freshness.markStale(response, LEDGER_PROJECTION);
    // One row more than the page tells whether there is a next page.
    const result = await this.runtime.connection.pool.query<SplitsPageRow>(SPLITS_PAGE_SQL, [
      query.developerId ?? null, query.appId ?? null, from, to,
      after?.commitPosition ?? null, after?.preparePosition ?? null, limit + 1, scope,
    ]);
    const rows = result.rows.slice(0, limit);
    const last = rows[rows.length - 1];
    const nextCursor = result.rows.length > limit && last !== undefined ? encodeCursor(last.commit_position, last.prepare_position) : null;
    const definition = DEVELOPER_LEDGER_EXPORTS.splits!;
    return { items: rows.map((row) => definition.toObject(row)), nextCursor } as unknown as SplitPageDto;
  }

  /** A page filtered to one developer (by id, or by one of its apps) is that developer's answer. */
  private async refuseIfFilterHeld(freshness: ReadFreshness, query: ListSplitsQueryDto): Promise<void> {
    const developerIds: string[] = [];
    if (query.developerId !== undefined) developerIds.push(query.developerId);
    if (query.appId !== undefined) {
      const app = await this.runtime.connection.pool.query<{ developer_id: string }>('SELECT developer_id FROM apps WHERE app_id = $1', [query.appId]);
      if (app.rows.length === 1) developerIds.push(String(app.rows[0].developer_id));
    }
    freshness.refuseIfHeld({ projectionName: LEDGER_PROJECTION, streamNames: developerIds.map(developerStreamName) }, 'this page of splits');
  }
}

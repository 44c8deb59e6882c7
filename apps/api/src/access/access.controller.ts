import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { parseInstant } from '@rsi/domain';
import { ApiKeyRefusedError, ApiKeyRegistry, csvCell, type LedgerRuntime } from '@rsi/ledger';
import { ApiError } from '../http/api-error';
import { callerOf, RouteAccessGuard } from '../http/route-access.guard';
import { LEDGER_RUNTIME } from '../api-settings';
import { API_KEY_SECURITY, ErrorResponses, IdentifierPathParameter, READ_ERROR_STATUSES } from '../http/openapi-document';
import { identifierParameter } from '../http/path-parameters';
import { AccessLogQueryDto, IssuedKeyDto, IssueKeyDto, KeyListDto, KeyRevocationDto, SessionDto } from './access.dto';

const ACCESS_LOG_COLUMNS = ['requestedAt', 'keyId', 'role', 'developerId', 'method', 'route', 'statusCode', 'address'] as const;
/** One answer holds at most this many entries; narrow with from/to for more. */
const ACCESS_LOG_ROWS_MAXIMUM = 100_000;

function refusal(error: unknown): never {
  if (error instanceof ApiKeyRefusedError) throw new ApiError(error.code === 'unknown_key' ? 404 : 400, error.code, error.message, error.field);
  throw error;
}

/** The parties: who the caller is, the keys (operators), and the access log (auditors). */
@ApiTags('access')
@ApiSecurity(API_KEY_SECURITY)
@Controller('v1')
export class AccessController {
  private readonly registry: ApiKeyRegistry;

  constructor(@Inject(LEDGER_RUNTIME) private readonly runtime: LedgerRuntime, private readonly guard: RouteAccessGuard) {
    this.registry = new ApiKeyRegistry(runtime.connection.pool, runtime.store);
  }

  @Get('session')
  @ApiOperation({ summary: "The caller's key, role and developer (what the web pages show and allow)" })
  @ApiOkResponse({ type: SessionDto })
  @ErrorResponses([401, 500, 503])
  session(@Req() request: Request): SessionDto {
    const { keyId, role, developerId, authenticated } = callerOf(request);
    return { keyId, role, developerId, authenticated };
  }

  @Get('keys')
  @ApiOperation({ summary: 'Every key issued on the ledger, who issued and revoked it and when (never a secret): operators and auditors' })
  @ApiOkResponse({ type: KeyListDto })
  @ErrorResponses([401, 500, 503])
  async listKeys(): Promise<KeyListDto> {
    return { keys: await this.registry.list(new Date()) };
  }

  @Post('keys')
  @HttpCode(201)
  @ApiOperation({ summary: 'Issues a key (ApiKeyIssued on the api-keys stream); its secret is in this answer only' })
  @ApiCreatedResponse({ type: IssuedKeyDto })
  @ErrorResponses([400, 401, 413, 415, 500, 503], { 400: 'validation_failed, role_invalid, developer_scope_invalid, developer_not_registered, expiry_in_past.' })
  async issueKey(@Req() request: Request, @Body() body: IssueKeyDto): Promise<IssuedKeyDto> {
    const issued = await this.registry.issue({
      role: body.role, developerId: body.developerId ?? null, label: body.label ?? null, expiresAt: body.expiresAt ?? null, actor: callerOf(request).actor, now: new Date(),
      developerExists: async (developerId) => {
        await this.runtime.projector.catchUp();
        return (await this.runtime.connection.pool.query('SELECT 1 FROM developers WHERE developer_id = $1', [developerId])).rows.length === 1;
      },
    }).catch(refusal);
    this.guard.keysChanged();
    return { keyId: issued.keyId, secret: issued.secret, role: issued.role, developerId: issued.developerId };
  }

  @Post('keys/:keyId/revocation')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revokes a key (ApiKeyRevoked): it stops working at once' })
  @ApiOkResponse({ type: KeyRevocationDto })
  @ErrorResponses([400, 401, 404, 413, 415, 500, 503], { 404: 'unknown_key.' })
  @IdentifierPathParameter('keyId', 'Key id.')
  async revokeKey(@Req() request: Request, @Param('keyId') keyIdParameter: string): Promise<KeyRevocationDto> {
    const keyId = identifierParameter(keyIdParameter, 'keyId');
    const outcome = await this.registry.revoke(keyId, callerOf(request).actor).catch(refusal);
    this.guard.keysChanged();
    return outcome;
  }

  @Get('access-log')
  @ApiOperation({ summary: 'The access log: every authenticated request (key, role, route, status, time), as JSONL or CSV' })
  @ApiResponse({ status: 200, description: 'One entry per line, oldest first.', content: { 'application/x-ndjson': { schema: { type: 'string' } }, 'text/csv': { schema: { type: 'string' } } } })
  @ErrorResponses(READ_ERROR_STATUSES, { 400: 'validation_failed or instant_malformed (from, to).' })
  async accessLog(@Query() query: AccessLogQueryDto, @Res() response: Response): Promise<void> {
    const from = query.from === undefined ? null : parseInstant(query.from, 'from').iso;
    const to = query.to === undefined ? null : parseInstant(query.to, 'to').iso;
    await this.guard.accessLog.flush();
    const result = await this.runtime.connection.pool.query<{
      requested_at: Date; key_id: string; role: string; developer_id: string | null; method: string; route: string; status_code: number; address: string | null;
    }>(
      `SELECT requested_at, key_id, role, developer_id, method, route, status_code, address FROM api_access_log
        WHERE ($1::timestamptz IS NULL OR requested_at >= $1) AND ($2::timestamptz IS NULL OR requested_at < $2)
        ORDER BY access_id LIMIT $3`,
      [from, to, ACCESS_LOG_ROWS_MAXIMUM],
    );
    const entries = result.rows.map((row) => ({
      requestedAt: row.requested_at.toISOString(), keyId: row.key_id, role: row.role, developerId: row.developer_id, method: row.method,
      route: row.route, statusCode: row.status_code, address: row.address,
    }));
    const format = query.format ?? 'jsonl';
    response.status(200);
    if (format === 'csv') {
      response.setHeader('Content-Type', 'text/csv; charset=utf-8');
      const lines = [ACCESS_LOG_COLUMNS.join(','), ...entries.map((entry) => ACCESS_LOG_COLUMNS.map((column) => csvCell(entry[column] === null ? null : String(entry[column]))).join(','))];
      response.send(`${lines.join('\n')}\n`);
    } else {
      response.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
      response.send(entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
    }
  }
}

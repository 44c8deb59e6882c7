import { Body, Controller, Get, HttpCode, Inject, Logger, Param, Post, Query, Req, Res, type OnModuleDestroy } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiOkResponse, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { PersonalDataKeys } from '@rsi/database';
import {
  formatStatement, parsePeriod, publicKeyPemOf, readSealPrivateKey, readSeals, statementLogProofsOf, TransparencyLog, UnknownDeveloperError,
  buildDeveloperStatement, verifyLedger, verifyStatement, whatIfContract, type LedgerRuntime, type VerifyReport,
} from '@rsi/ledger';
import { ApiError } from '../http/api-error';
import { callerOf, developerScopeOf } from '../http/route-access.guard';
import { API_SETTINGS, LEDGER_RUNTIME, type ApiSettings } from '../api-settings';
import { API_KEY_SECURITY, ErrorResponses, IdentifierPathParameter, READ_ERROR_STATUSES } from '../http/openapi-document';
import { identifierParameter } from '../http/path-parameters';
import { StatementQueryDto, VerifyJobDto, WhatIfDto } from './audit.dto';

const CONTENT_TYPE_OF_STATEMENT_FORMAT = { json: 'application/json; charset=utf-8', csv: 'text/csv; charset=utf-8', html: 'text/html; charset=utf-8' } as const;
/** Finished verify jobs kept for polling; older ones are forgotten. */
const VERIFY_JOBS_KEPT = 20;

type VerifyJob = VerifyJobDto;

function periodParameter(value: string): string {
  try {
    return parsePeriod(value).name;
  } catch (error) {
    throw new ApiError(400, 'validation_failed', `period: ${error instanceof Error ? error.message : String(error)}`, 'period');
  }
}

/**
 * The audit surface over HTTP, on the CLI's own implementations (libs/ledger, audit room): a
 * developer's statement, the seals, the statement check against the pinned key, verify as a
 * job (it can take minutes), and what-if. Who may call which is in the route table.
 */
@ApiTags('audit')
@ApiSecurity(API_KEY_SECURITY)
@Controller('v1')
export class AuditController implements OnModuleDestroy {
  private readonly logger = new Logger('AuditController');
  private readonly verifyJobs = new Map<string, VerifyJob>();
  private runningVerify: Promise<void> = Promise.resolve();

  constructor(@Inject(LEDGER_RUNTIME) private readonly runtime: LedgerRuntime, @Inject(API_SETTINGS) private readonly settings: ApiSettings) {}

  @Get('developers/:developerId/statements/:period')
  @ApiOperation({ summary: "A developer's statement for a booking month, with inclusion proofs once sealed (rsi-ledger statement)" })
  @ApiResponse({ status: 200, description: 'The statement as JSON (verifiable offline), CSV or HTML.', content: { 'application/json': { schema: { type: 'object' } }, 'text/csv': { schema: { type: 'string' } }, 'text/html': { schema: { type: 'string' } } } })
  @ErrorResponses(READ_ERROR_STATUSES, { 400: 'validation_failed (developerId, period, format).', 404: 'unknown_developer.' })
  @IdentifierPathParameter('developerId', 'Developer id.')
  @IdentifierPathParameter('period', 'Booking month, YYYY-MM (UTC).')
  async statement(@Req() request: Request, @Param('developerId') developerIdParameter: string, @Param('period') periodText: string, @Query() query: StatementQueryDto, @Res() response: Response): Promise<void> {
    const developerId = identifierParameter(developerIdParameter, 'developerId');
    const period = periodParameter(periodText);
    const scope = developerScopeOf(request);
    const unknown = new ApiError(404, 'unknown_developer', `developerId: no developer ${JSON.stringify(developerId)} is registered`, 'developerId');
    if (scope !== null && scope !== developerId) throw unknown;
    let text: string;
    try {
      const statement = await buildDeveloperStatement(this.runtime.store, new PersonalDataKeys(this.runtime.connection.pool), { developerId, period });
      statement.transparencyLog = await statementLogProofsOf({ store: this.runtime.store, log: new TransparencyLog(this.runtime.connection.pool, this.runtime.store) }, statement);
      text = formatStatement(statement, query.format ?? 'json');
    } catch (error) {
      if (error instanceof UnknownDeveloperError) throw unknown;
      throw error;
    }
    response.status(200).setHeader('Content-Type', CONTENT_TYPE_OF_STATEMENT_FORMAT[query.format ?? 'json']);
    response.send(text);
  }

  @Get('seals')
  @ApiOperation({ summary: 'Every period seal, in order (signed Merkle roots of the events booked up to each period end)' })
  @ApiOkResponse({ description: '{ seals: [...] }' })
  @ErrorResponses([401, 500, 503])
  async seals(): Promise<{ seals: unknown[] }> {
    const { seals } = await readSeals(this.runtime.store);
    return { seals: seals.map((recorded) => ({ ...recorded.seal, eventId: recorded.event.eventId })) };
  }

  @Get('seals/:period')
  @ApiOperation({ summary: 'The seal of one booking month' })
  @ApiOkResponse({ description: 'The seal.' })
  @ErrorResponses(READ_ERROR_STATUSES, { 400: 'validation_failed (period).', 404: 'unknown_seal: the period is not sealed.' })
  @IdentifierPathParameter('period', 'Booking month, YYYY-MM (UTC).')
  async seal(@Param('period') periodText: string): Promise<unknown> {
    const period = periodParameter(periodText);
    const { seals } = await readSeals(this.runtime.store);
    const found = seals.find((recorded) => recorded.seal.period === period);
    if (found === undefined) throw new ApiError(404, 'unknown_seal', `period: ${period} is not sealed`, 'period');
    return { ...found.seal, eventId: found.event.eventId };
  }

  @Post('statements/verify')
  @HttpCode(200)
  @ApiOperation({ summary: 'Checks a JSON statement as verify-statement does offline, against the key this server publishes (GET /v1/seal-public-key)' })
  @ApiBody({ description: 'A statement as GET /v1/developers/{id}/statements/{period}?format=json gives it.', schema: { type: 'object' } })
  @ApiOkResponse({ description: 'The verification report: ok, and the failures.' })
  @ErrorResponses([400, 401, 404, 413, 415, 500, 503], { 404: 'no_seal_key: the platform has no seal key yet.' })
  verifyStatement(@Body() body: unknown): unknown {
    return verifyStatement(body, { pinnedPublicKeys: [this.publishedPublicKey()] });
  }

  @Post('verify-jobs')
  @HttpCode(202)
  @ApiOperation({ summary: 'Starts rsi-ledger verify as a job (one at a time: a running job is answered); poll GET /v1/verify-jobs/{jobId}' })
  @ApiAcceptedResponse({ type: VerifyJobDto })
  @ErrorResponses([401, 500, 503])
  startVerify(@Req() request: Request): VerifyJobDto {
    const running = [...this.verifyJobs.values()].find((job) => job.status === 'running');
    if (running !== undefined) return running;
    const job: VerifyJob = {
      jobId: randomUUID(), status: 'running', requestedBy: callerOf(request).actor, startedAt: new Date().toISOString(), finishedAt: null, ok: null, report: null, error: null,
    };
    this.verifyJobs.set(job.jobId, job);
    const pinned = fs.existsSync(this.settings.sealPrivateKeyFile) ? [this.publishedPublicKey()] : undefined;
    this.runningVerify = verifyLedger(this.runtime, () => Date.now(), { pinnedPublicKeys: pinned }).then(
      (report: VerifyReport) => { Object.assign(job, { status: 'finished', finishedAt: new Date().toISOString(), ok: report.ok, report }); },
      (error: unknown) => {
        this.logger.error(`verify job ${job.jobId} failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
        Object.assign(job, { status: 'failed', finishedAt: new Date().toISOString(), error: 'the verification could not run to its end (see the server log)' });
      },
    ).finally(() => this.forgetOldJobs());
    return job;
  }

  /** A running verify finishes before the database closes (shutdown waits for it). */
  async onModuleDestroy(): Promise<void> {
    await this.runningVerify;
  }

  @Get('verify-jobs/:jobId')
  @ApiOperation({ summary: 'A verify job: running, or finished with its report' })
  @ApiOkResponse({ type: VerifyJobDto })
  @ErrorResponses(READ_ERROR_STATUSES, { 404: 'unknown_verify_job (jobs live in the serving process and the last few are kept).' })
  @IdentifierPathParameter('jobId', 'Verify job id.')
  verifyJob(@Param('jobId') jobIdParameter: string): VerifyJobDto {
    const jobId = identifierParameter(jobIdParameter, 'jobId');
    const job = this.verifyJobs.get(jobId);
    if (job === undefined) throw new ApiError(404, 'unknown_verify_job', `jobId: no verify job ${JSON.stringify(jobId.slice(0, 64))} in this server`, 'jobId');
    return job;
  }

  @Post('what-if')
  @HttpCode(200)
  @ApiOperation({ summary: "Replays an app's recorded receipts under other contract terms and compares platform and developer income (rsi-ledger what-if)" })
  @ApiOkResponse({ description: 'The what-if report: per party, recorded, what-if and difference.' })
  @ErrorResponses([400, 401, 404, 413, 415, 500, 503], { 404: 'unknown_app.' })
  async whatIf(@Body() body: WhatIfDto): Promise<unknown> {
    const appId = identifierParameter(body.appId, 'appId');
    await this.runtime.projector.catchUp();
    const found = await this.runtime.connection.pool.query<{ developer_id: string }>('SELECT developer_id FROM apps WHERE app_id = $1', [appId]);
    if (found.rows.length === 0) throw new ApiError(404, 'unknown_app', `appId: no app ${JSON.stringify(appId)} is registered`, 'appId');
    try {
      return await whatIfContract(this.runtime.store, { appId, developerId: found.rows[0]!.developer_id, contractTerms: body.contract, from: body.from, to: body.to });
    } catch (error) {
      if (error instanceof Error && error.constructor === Error) throw new ApiError(400, 'what_if_refused', error.message);
      throw error;
    }
  }

  private publishedPublicKey(): string {
    const filePath = this.settings.sealPrivateKeyFile;
    if (!fs.existsSync(filePath)) throw new ApiError(404, 'no_seal_key', 'no seal key exists yet: the first seal creates it');
    return publicKeyPemOf(readSealPrivateKey(filePath));
  }

  private forgetOldJobs(): void {
    const finished = [...this.verifyJobs.values()].filter((job) => job.status !== 'running');
    for (const job of finished.slice(0, Math.max(0, finished.length - VERIFY_JOBS_KEPT))) this.verifyJobs.delete(job.jobId);
  }
}

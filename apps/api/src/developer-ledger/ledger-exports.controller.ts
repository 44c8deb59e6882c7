import { Controller, Get, Inject, Logger, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Writable } from 'node:stream';
import { READ_REPLICA, type ReadReplica } from '@rsi/database';
import { parseInstant } from '@rsi/domain';
import type { LedgerRuntime } from '@rsi/ledger';
import { DEVELOPER_LEDGER_EXPORTS } from '@rsi/ledger';
import { ApiError } from '../http/api-error';
import { LEDGER_RUNTIME } from '../api-settings';
import { developerScopeOf } from '../http/route-access.guard';
import { ExportQueryDto } from './ledger-reads.dto';
import { API_KEY_SECURITY, ErrorResponses, READ_ERROR_STATUSES } from '../http/openapi-document';
import { ReadFreshness } from '../http/projection-freshness';
import { markStaleTolerantRead, STALE_TOLERANT_READ_HEADERS } from '../http/stale-tolerant-read';

const CONTENT_TYPE_OF_FORMAT = { csv: 'text/csv; charset=utf-8', jsonl: 'application/x-ndjson; charset=utf-8' } as const;
/** Bytes buffered for a slow client before the export waits (and so holds its cursor). */
const SINK_BUFFER_BYTES = 256 * 1024;

/**
 * The export's output. A client that disconnects must not leave the export waiting for a
 * 'drain' that never comes (holding a database connection, the only one when embedded),
 * so after a disconnect the rest of the export is discarded and the export ends normally.
 */
class ResponseSink extends Writable {
  private disconnected = false;

  constructor(private readonly response: Response) {
    super({ highWaterMark: SINK_BUFFER_BYTES });
    response.once('close', () => {
      if (!response.writableFinished) this.disconnected = true;
    });
  }

  get clientDisconnected(): boolean {
    return this.disconnected;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.disconnected || this.response.destroyed) {
      this.disconnected = true;
      callback();
      return;
    }
    if (this.response.write(chunk)) {
      callback();
      return;
    }
    const onDrain = () => { cleanup(); callback(); };
    const onClose = () => { cleanup(); this.disconnected = true; callback(); };
    const cleanup = () => { this.response.off('drain', onDrain); this.response.off('close', onClose); };
    this.response.once('drain', onDrain);
    this.response.once('close', onClose);
  }
}

@ApiTags('exports')
@ApiSecurity(API_KEY_SECURITY)
@Controller('v1')
export class LedgerExportsController {
  private readonly logger = new Logger('LedgerExportsController');

  constructor(
    @Inject(LEDGER_RUNTIME) private readonly runtime: LedgerRuntime,
    @Inject(READ_REPLICA) private readonly readReplica: ReadReplica,
  ) {}

  @Get('exports/:name')
  @ApiOperation({ summary: `Streams a projection as CSV or JSONL: ${Object.keys(DEVELOPER_LEDGER_EXPORTS).join(', ')} (and those of modules)` })
  @ApiResponse({
    status: 200,
    description: 'The rows, streamed: one JSON object per line (jsonl) or CSV with a header line. An error after the first byte cuts the connection. Read from the replica (DATABASE_READ_URL) when one is configured: see the headers.',
    headers: STALE_TOLERANT_READ_HEADERS,
    content: { 'application/x-ndjson': { schema: { type: 'string' } }, 'text/csv': { schema: { type: 'string' } } },
  })
  @ErrorResponses(READ_ERROR_STATUSES, { 400: 'validation_failed or instant_malformed (a query parameter).', 404: 'unknown_export.' })
  @ApiParam({ name: 'name', description: 'An export name (those of the ledger and of its modules).', schema: { type: 'string', minLength: 1 } })
  async export(@Req() request: Request, @Param('name') name: string, @Query() query: ExportQueryDto, @Res() response: Response): Promise<void> {
    // A developer key exports its own rows, of the exports that have a developer column only.
    const scope = developerScopeOf(request);
    const names = this.runtime.exports.names().filter((known) => scope === null || this.runtime.exports.hasDeveloperColumn(known));
    if (!names.includes(name)) {
      throw new ApiError(404, 'unknown_export', `no export ${JSON.stringify(name.slice(0, 64))}; known: ${names.join(', ')}`, 'name');
    }
    const format = query.format ?? 'jsonl';
    // Checked before the first byte, while an error can still be a JSON 400.
    const from = query.from === undefined ? undefined : parseInstant(query.from, 'from').iso;
    const to = query.to === undefined ? undefined : parseInstant(query.to, 'to').iso;
    const asOf = parseInstant(query.asOf ?? new Date().toISOString(), 'asOf').iso;
    // An export feeds other tools, where a missing row would pass unnoticed: it is refused
    // while its projection holds back any stream (503 projection_halted, naming the event).
    const freshness = await ReadFreshness.catchUp(this.runtime);
    freshness.refuseIfAnyHeld(this.runtime.exports.projectionOf(name), `the export ${name}`);
    // An export accepts staleness: it reads from the standby when there is one, saying how far behind it is.
    const reader = await this.readReplica.reader();
    response.status(200);
    markStaleTolerantRead(response, reader);
    response.setHeader('Content-Type', CONTENT_TYPE_OF_FORMAT[format]);
    response.setHeader('Content-Disposition', `attachment; filename="${name}.${format}"`);
    const sink = new ResponseSink(response);
    const { rowsWritten } = await this.runtime.exportProjection({ pool: reader.pool, name, format, output: sink, from, to, asOf, developerId: scope ?? undefined });
    await new Promise<void>((resolve) => sink.end(resolve));
    if (sink.clientDisconnected) {
      this.logger.warn(`export ${name}: the client disconnected; ${rowsWritten} rows were read and discarded`);
      return;
    }
    response.end();
  }
}

import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ErrorResponses } from './openapi-document';
import type { LedgerRuntime } from '@rsi/ledger';
import { HealthDto } from './api-responses.dto';
import { LEDGER_RUNTIME } from '../api-settings';

/** Liveness with the database: no API key needed, so that load balancers can probe it. */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@Inject(LEDGER_RUNTIME) private readonly runtime: LedgerRuntime) {}

  @Get()
  @ApiOkResponse({ type: HealthDto, description: 'The database answered.' })
  @ErrorResponses([500, 503])
  async health(): Promise<HealthDto> {
    await this.runtime.connection.pool.query('SELECT 1');
    return { status: 'ok' };
  }
}

import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ErrorResponses } from './openapi-document';
import type { LedgerRuntime } from '@rsi/ledger';
import { ApiError } from './api-error';
import { HealthDto, ReadinessDto } from './api-responses.dto';
import { API_SETTINGS, LEDGER_RUNTIME, type ApiSettings } from '../api-settings';
import { checkpointLagOf, projectorCheckpointOf } from '../operations/projection-lag';
import { LEDGER_PROJECTOR_NAME } from '../operations/metrics.service';
import { ShutdownState } from '../operations/shutdown-state';

/**
 * Probes for load balancers and orchestrators: no API key. `/health/live`: the process
 * answers (restart it when it does not). `/health/ready`: send it traffic — the database
 * answers, every migration is applied, the projector trails by less than
 * `RSI_READY_PROJECTION_LAG_SECONDS_MAXIMUM`, and the instance is not shutting down.
 * `/health` (the older probe) is the database check alone.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(LEDGER_RUNTIME) private readonly runtime: LedgerRuntime,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
    private readonly shutdown: ShutdownState,
  ) {}

  @Get()
  @ApiOkResponse({ type: HealthDto, description: 'The database answered.' })
  @ErrorResponses([500, 503])
  async health(): Promise<HealthDto> {
    await this.runtime.connection.pool.query('SELECT 1');
    return { status: 'ok' };
  }

  @Get('live')
  @ApiOkResponse({ type: HealthDto, description: 'The process answers (no database call).' })
  live(): HealthDto {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOkResponse({ type: ReadinessDto, description: 'Ready for traffic: database, migrations and projection lag checked.' })
  @ErrorResponses([503], { 503: 'not_ready: the message says which check failed (database, migrations, projection lag, shutting down).' })
  async ready(): Promise<ReadinessDto> {
    if (this.shutdown.shuttingDown) throw new ApiError(503, 'not_ready', 'the instance is shutting down');
    const pool = this.runtime.connection.pool;
    try {
      await pool.query('SELECT 1');
    } catch (error) {
      throw new ApiError(503, 'not_ready', `the database does not answer: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (await this.runtime.connection.dataSource.showMigrations()) {
      throw new ApiError(503, 'not_ready', 'migrations are pending: this instance runs a newer schema than the database holds');
    }
    const lag = await checkpointLagOf(pool, await projectorCheckpointOf(pool, LEDGER_PROJECTOR_NAME));
    const bound = this.settings.configuration.readyProjectionLagSecondsMaximum;
    if (lag.lagSeconds > bound) {
      throw new ApiError(503, 'not_ready', `the projector trails by ${lag.lagSeconds.toFixed(1)} s (${lag.lagEvents} events), above RSI_READY_PROJECTION_LAG_SECONDS_MAXIMUM=${bound}`);
    }
    return { status: 'ready', projectionLagSeconds: lag.lagSeconds, projectionLagEvents: lag.lagEvents };
  }
}

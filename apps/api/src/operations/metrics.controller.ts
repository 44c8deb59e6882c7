import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { MetricsService } from './metrics.service';

/**
 * `GET /metrics`: the Prometheus text format. No API key, like /health: a scraper is
 * configured by the operator and the figures hold no ledger data (no amounts, no ids but the
 * webhook subscriptions'); expose the port only to the monitoring network
 * (docs/operations.md#metrics).
 */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  async metricsText(): Promise<string> {
    return this.metrics.text();
  }
}

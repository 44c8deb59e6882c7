import { Controller, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { PAYOUT_REPORT_BYTES_MAXIMUM, parseInstant } from '@rsi/domain';
import { PayoutReportRefused, reconcilePayoutReport, type LedgerRuntime, type PayoutReconciliation } from '@rsi/ledger';
import { ApiError } from '../http/api-error';
import { LEDGER_RUNTIME } from '../api-settings';
import { API_KEY_SECURITY, ErrorResponses } from '../http/openapi-document';

/**
 * Finance's reconciliation against the payment provider, on the CLI's own implementation
 * (libs/ledger, reconciliation room): `rsi-ledger reconcile payouts` over HTTP. Reads only.
 * Who may call it is in the route table.
 */
@ApiTags('reconciliation')
@ApiSecurity(API_KEY_SECURITY)
@Controller('v1')
export class ReconciliationController {
  constructor(@Inject(LEDGER_RUNTIME) private readonly runtime: LedgerRuntime) {}

  @Post('reconciliations/payouts')
  @HttpCode(200)
  @ApiOperation({ summary: "Compares a provider's payout report (CSV) with the ledger's payouts, as rsi-ledger reconcile payouts; writes nothing" })
  @ApiConsumes('text/csv')
  @ApiBody({ description: `The payout report: text/csv in UTF-8, a header line (reference, amount, currency, status, date; docs/cli.md), at most ${PAYOUT_REPORT_BYTES_MAXIMUM} bytes.`, schema: { type: 'string' } })
  @ApiOkResponse({ description: 'The reconciliation: allMatched, summary, matched, missingFromReport, missingFromLedger, amountMismatches, statusMismatches.' })
  @ApiQuery({ name: 'from', required: false, description: "The report's period starts (ISO 8601): ledger payouts requested before it are not expected in the report.", schema: { type: 'string' } })
  @ApiQuery({ name: 'to', required: false, description: "The report's period ends, exclusive (ISO 8601).", schema: { type: 'string' } })
  @ErrorResponses([400, 401, 413, 415, 500, 503], { 400: 'payout_report_refused (the message names the line), instant_malformed or period_invalid (from, to).' })
  async reconcilePayouts(@Req() request: Request, @Query('from') fromText?: unknown, @Query('to') toText?: unknown): Promise<PayoutReconciliation> {
    // The request's body as the parsers left it, not through the validation pipe (which reads JSON bodies as DTOs).
    const body: unknown = request.body;
    if (body === undefined) throw new ApiError(400, 'payout_report_refused', 'payout report: the body is empty: a CSV report with a header line is expected');
    // Another media type passed the CSV parser so that the key was checked first (request-body.ts).
    if (!Buffer.isBuffer(body)) throw new ApiError(415, 'unsupported_media_type', 'the body must be sent as Content-Type: text/csv (UTF-8)');
    const period = { from: instantQuery(fromText, 'from'), to: instantQuery(toText, 'to') };
    if (period.from !== null && period.to !== null && Date.parse(period.from) >= Date.parse(period.to)) {
      throw new ApiError(400, 'period_invalid', 'from must be before to', 'from');
    }
    try {
      return await reconcilePayoutReport(this.runtime.connection.pool, body, period);
    } catch (error) {
      if (error instanceof PayoutReportRefused) throw new ApiError(400, 'payout_report_refused', error.message);
      throw error;
    }
  }
}

/** A period bound from the query string, read as the domain reads instants (its DomainError is a 400 naming the field). */
function instantQuery(value: unknown, field: string): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string') throw new ApiError(400, 'instant_malformed', `${field} must be given once, as an ISO 8601 instant`, field);
  return parseInstant(value, field).iso;
}

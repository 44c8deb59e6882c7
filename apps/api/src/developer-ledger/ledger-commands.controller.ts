import { Body, Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CommandResponseDto } from '../http/api-responses.dto';
import { CommandEndpointService } from '../http/command-endpoint.service';
import {
  AmendContractDto, ErasePersonalDataDto, FailPayoutDto, OpenDisputeDto, RecordRevenueDto, RefundRevenueDto, RegisterAppDto, RegisterDeveloperDto,
  RequestPayoutDto, ResolveDisputeDto, RunPayoutsDto, SettlePayoutDto,
} from './ledger-commands.dto';
import {
  API_KEY_SECURITY, COMMAND_ERROR_STATUSES, ErrorResponses, IDEMPOTENT_REPLAYED_HEADER, IdempotencyKeyHeader, IdentifierPathParameter, type ErrorStatus,
} from '../http/openapi-document';
import { identifierParameter } from '../http/path-parameters';
import { ApiError } from '../http/api-error';
import { developerScopeOf } from '../http/route-access.guard';

/**
 * The responses every command endpoint may give, for the OpenAPI document. `notFound`: what
 * an unknown id is answered with, or null where the command refers to no other id.
 */
function CommandResponses(notFound: string | null): MethodDecorator {
  const statuses: readonly ErrorStatus[] = notFound === null ? COMMAND_ERROR_STATUSES.filter((status) => status !== 404) : COMMAND_ERROR_STATUSES;
  const decorators: MethodDecorator[] = [
    ApiCreatedResponse({ type: CommandResponseDto, description: 'Recorded: the events written.', headers: IDEMPOTENT_REPLAYED_HEADER }),
    ApiOkResponse({ type: CommandResponseDto, description: 'Already recorded with identical content: nothing written.', headers: IDEMPOTENT_REPLAYED_HEADER }),
    ErrorResponses(statuses, notFound === null ? {} : { 404: notFound }),
    IdempotencyKeyHeader(),
    HttpCode(201),
  ];
  return (target, key, descriptor) => {
    for (const decorator of decorators) decorator(target, key, descriptor);
  };
}

@ApiTags('commands')
@ApiSecurity(API_KEY_SECURITY)
@Controller('v1')
export class LedgerCommandsController {
  constructor(private readonly commands: CommandEndpointService) {}

  private async send(request: Request, response: Response, type: string, data: object): Promise<void> {
    const result = await this.commands.handle(request, type, data as Record<string, unknown>);
    if (result.replayed) response.setHeader('Idempotent-Replayed', 'true');
    response.status(result.statusCode).json(result.body);
  }

  @Post('developers')
  @ApiOperation({ summary: 'RegisterDeveloper' })
  @CommandResponses(null)
  registerDeveloper(@Req() request: Request, @Res() response: Response, @Body() body: RegisterDeveloperDto): Promise<void> {
    return this.send(request, response, 'RegisterDeveloper', body);
  }

  @Post('developers/:developerId/erasure')
  @ApiOperation({ summary: 'ErasePersonalData: records PersonalDataErased and destroys the developer\'s data key; every proof still verifies' })
  @CommandResponses('developer_not_registered.')
  @IdentifierPathParameter('developerId', 'Developer id.')
  erasePersonalData(@Req() request: Request, @Res() response: Response, @Param('developerId') developerId: string, @Body() body: ErasePersonalDataDto): Promise<void> {
    return this.sendErasure(request, response, identifierParameter(developerId, 'developerId'), body.reason ?? null);
  }

  private async sendErasure(request: Request, response: Response, developerId: string, reason: string | null): Promise<void> {
    const result = await this.commands.handleErasure(request, developerId, reason);
    if (result.replayed) response.setHeader('Idempotent-Replayed', 'true');
    response.status(result.statusCode).json(result.body);
  }

  @Post('apps')
  @ApiOperation({ summary: 'RegisterApp, with its first contract version' })
  @CommandResponses('developer_not_registered.')
  registerApp(@Req() request: Request, @Res() response: Response, @Body() body: RegisterAppDto): Promise<void> {
    return this.send(request, response, 'RegisterApp', body);
  }

  @Post('apps/:appId/contract-amendments')
  @ApiOperation({ summary: 'AmendContract: a new contract version, effective after every recorded receipt' })
  @CommandResponses('unknown_app.')
  @IdentifierPathParameter('appId', 'App id.')
  amendContract(@Req() request: Request, @Res() response: Response, @Param('appId') appId: string, @Body() body: AmendContractDto): Promise<void> {
    return this.send(request, response, 'AmendContract', { appId: identifierParameter(appId, 'appId'), contract: body.contract });
  }

  @Post('receipts')
  @ApiOperation({ summary: 'RecordRevenue: records a receipt and splits it by the app contract' })
  @CommandResponses('unknown_app.')
  recordRevenue(@Req() request: Request, @Res() response: Response, @Body() body: RecordRevenueDto): Promise<void> {
    return this.send(request, response, 'RecordRevenue', body);
  }

  @Post('refunds')
  @ApiOperation({ summary: 'RefundRevenue: reverses part of a receipt pro rata over its split lines' })
  @CommandResponses('unknown_receipt.')
  refundRevenue(@Req() request: Request, @Res() response: Response, @Body() body: RefundRevenueDto): Promise<void> {
    return this.send(request, response, 'RefundRevenue', body);
  }

  @Post('disputes')
  @ApiOperation({ summary: 'OpenDispute: reverses part of a receipt by the refund rule and holds it as disputed; charges the fee to the contract\'s disputeFeeBearer' })
  @CommandResponses('unknown_receipt.')
  openDispute(@Req() request: Request, @Res() response: Response, @Body() body: OpenDisputeDto): Promise<void> {
    return this.send(request, response, 'OpenDispute', body);
  }

  @Post('disputes/:disputeId/resolution')
  @ApiOperation({ summary: 'ResolveDispute: won gives the reversed lines back, lost makes the reversal final' })
  @CommandResponses('unknown_dispute.')
  @IdentifierPathParameter('disputeId', 'Dispute id.')
  resolveDispute(@Req() request: Request, @Res() response: Response, @Param('disputeId') disputeId: string, @Body() body: ResolveDisputeDto): Promise<void> {
    return this.send(request, response, 'ResolveDispute', { disputeId: identifierParameter(disputeId, 'disputeId'), outcome: body.outcome, resolvedAt: body.resolvedAt });
  }

  @Post('payouts')
  @ApiOperation({ summary: 'RequestPayout: debits the available balance' })
  @CommandResponses('developer_not_registered.')
  async requestPayout(@Req() request: Request, @Res() response: Response, @Body() body: RequestPayoutDto): Promise<void> {
    // A developer key (RSI_DEVELOPERS_REQUEST_PAYOUTS=own) requests its own payouts only:
    // another developer is answered as an unregistered one, and nothing is written.
    const scope = developerScopeOf(request);
    if (scope !== null && body.developerId !== scope) {
      throw new ApiError(404, 'developer_not_registered', `developer ${body.developerId} is not registered`, 'developerId');
    }
    // The rate of a payout in another currency is the operator's word: a developer naming its
    // own rate would name what the platform pays. A developer key pays out in the balance currency.
    const conversionField = (['payoutCurrency', 'fxRate', 'fxSource'] as const).find((field) => body[field] !== undefined && body[field] !== null);
    if (scope !== null && conversionField !== undefined) {
      throw new ApiError(403, 'forbidden', `${conversionField}: a developer key requests payouts in the balance currency only; a payout in another currency (payoutCurrency, fxRate, fxSource) is requested by an operator`, conversionField);
    }
    return this.send(request, response, 'RequestPayout', body);
  }

  @Post('payout-runs')
  @ApiOperation({ summary: 'RunPayouts: one payout of the whole available balance for every developer at or above their minimum payout; re-running a run id changes nothing' })
  @CommandResponses(null)
  runPayouts(@Req() request: Request, @Res() response: Response, @Body() body: RunPayoutsDto): Promise<void> {
    return this.send(request, response, 'RunPayouts', body);
  }

  @Post('payouts/:payoutId/settlement')
  @ApiOperation({ summary: 'SettlePayout' })
  @CommandResponses('unknown_payout.')
  @IdentifierPathParameter('payoutId', 'Payout id.')
  settlePayout(@Req() request: Request, @Res() response: Response, @Param('payoutId') payoutId: string, @Body() body: SettlePayoutDto): Promise<void> {
    return this.send(request, response, 'SettlePayout', { payoutId: identifierParameter(payoutId, 'payoutId'), settledAt: body.settledAt, reference: body.reference });
  }

  @Post('payouts/:payoutId/failure')
  @ApiOperation({ summary: 'FailPayout: credits the amount back to available' })
  @CommandResponses('unknown_payout.')
  @IdentifierPathParameter('payoutId', 'Payout id.')
  failPayout(@Req() request: Request, @Res() response: Response, @Param('payoutId') payoutId: string, @Body() body: FailPayoutDto): Promise<void> {
    return this.send(request, response, 'FailPayout', { payoutId: identifierParameter(payoutId, 'payoutId'), failedAt: body.failedAt, reason: body.reason });
  }
}

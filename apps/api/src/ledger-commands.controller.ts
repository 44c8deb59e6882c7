import { Body, Controller, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiHeader, ApiNotFoundResponse, ApiOkResponse,
  ApiOperation, ApiPayloadTooLargeResponse, ApiSecurity, ApiTags, ApiUnauthorizedResponse, ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiKeyGuard } from './api-key.guard';
import { CommandResponseDto, ErrorResponseDto } from './api-responses.dto';
import { CommandEndpointService } from './command-endpoint.service';
import {
  AmendContractDto, FailPayoutDto, RecordRevenueDto, RefundRevenueDto, RegisterAppDto, RegisterDeveloperDto, RequestPayoutDto, SettlePayoutDto,
} from './ledger-commands.dto';
import { identifierParameter } from './path-parameters';

/** The responses every command endpoint may give, for the OpenAPI document. */
function CommandResponses(): MethodDecorator {
  const decorators: MethodDecorator[] = [
    ApiCreatedResponse({ type: CommandResponseDto, description: 'Recorded: the events written.' }),
    ApiOkResponse({ type: CommandResponseDto, description: 'Already recorded with identical content: nothing written.' }),
    ApiBadRequestResponse({ type: ErrorResponseDto, description: 'validation_failed, malformed_json, or a domain refusal of kind invalid.' }),
    ApiUnauthorizedResponse({ type: ErrorResponseDto, description: 'unauthenticated (when API keys are configured).' }),
    ApiNotFoundResponse({ type: ErrorResponseDto, description: 'An id the command refers to is unknown.' }),
    ApiConflictResponse({ type: ErrorResponseDto, description: 'Duplicate id with other content, over-refund, over-payout…' }),
    ApiPayloadTooLargeResponse({ type: ErrorResponseDto, description: 'body_too_large.' }),
    ApiUnprocessableEntityResponse({ type: ErrorResponseDto, description: 'idempotency_key_reused.' }),
    ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Up to 255 visible ASCII characters; a retry with the same key and request replays the stored response.' }),
    HttpCode(201),
  ];
  return (target, key, descriptor) => {
    for (const decorator of decorators) decorator(target, key, descriptor);
  };
}

@ApiTags('commands')
@ApiSecurity('api-key')
@UseGuards(ApiKeyGuard)
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
  @CommandResponses()
  registerDeveloper(@Req() request: Request, @Res() response: Response, @Body() body: RegisterDeveloperDto): Promise<void> {
    return this.send(request, response, 'RegisterDeveloper', body);
  }

  @Post('apps')
  @ApiOperation({ summary: 'RegisterApp, with its first contract version' })
  @CommandResponses()
  registerApp(@Req() request: Request, @Res() response: Response, @Body() body: RegisterAppDto): Promise<void> {
    return this.send(request, response, 'RegisterApp', body);
  }

  @Post('apps/:appId/contract-amendments')
  @ApiOperation({ summary: 'AmendContract: a new contract version, effective after every recorded receipt' })
  @CommandResponses()
  amendContract(@Req() request: Request, @Res() response: Response, @Param('appId') appId: string, @Body() body: AmendContractDto): Promise<void> {
    return this.send(request, response, 'AmendContract', { appId: identifierParameter(appId, 'appId'), contract: body.contract });
  }

  @Post('receipts')
  @ApiOperation({ summary: 'RecordRevenue: records a receipt and splits it by the app contract' })
  @CommandResponses()
  recordRevenue(@Req() request: Request, @Res() response: Response, @Body() body: RecordRevenueDto): Promise<void> {
    return this.send(request, response, 'RecordRevenue', body);
  }

  @Post('refunds')
  @ApiOperation({ summary: 'RefundRevenue: reverses part of a receipt pro rata over its split lines' })
  @CommandResponses()
  refundRevenue(@Req() request: Request, @Res() response: Response, @Body() body: RefundRevenueDto): Promise<void> {
    return this.send(request, response, 'RefundRevenue', body);
  }

  @Post('payouts')
  @ApiOperation({ summary: 'RequestPayout: debits the available balance' })
  @CommandResponses()
  requestPayout(@Req() request: Request, @Res() response: Response, @Body() body: RequestPayoutDto): Promise<void> {
    return this.send(request, response, 'RequestPayout', body);
  }

  @Post('payouts/:payoutId/settlement')
  @ApiOperation({ summary: 'SettlePayout' })
  @CommandResponses()
  settlePayout(@Req() request: Request, @Res() response: Response, @Param('payoutId') payoutId: string, @Body() body: SettlePayoutDto): Promise<void> {
    return this.send(request, response, 'SettlePayout', { payoutId: identifierParameter(payoutId, 'payoutId'), settledAt: body.settledAt, reference: body.reference });
  }

  @Post('payouts/:payoutId/failure')
  @ApiOperation({ summary: 'FailPayout: credits the amount back to available' })
  @CommandResponses()
  failPayout(@Req() request: Request, @Res() response: Response, @Param('payoutId') payoutId: string, @Body() body: FailPayoutDto): Promise<void> {
    return this.send(request, response, 'FailPayout', { payoutId: identifierParameter(payoutId, 'payoutId'), failedAt: body.failedAt, reason: body.reason });
  }
}

import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { WEBHOOK_DELIVERIES_LISTED_MAXIMUM } from '@rsi/domain';
import type { LedgerRuntime } from '@rsi/ledger';
import { formatPosition, parsePosition } from '@rsi/projections';
import { API_SETTINGS, LEDGER_RUNTIME, type ApiSettings } from '../api-settings';
import { ApiError } from '../http/api-error';
import { API_KEY_SECURITY, ErrorResponses, IdentifierPathParameter } from '../http/openapi-document';
import { callerOf } from '../http/route-access.guard';
import { checkWebhookUrl, WebhookTargetRefused } from './webhook-target';
import { WebhookSubscriptions, type WebhookSubscription } from './webhook-subscriptions';
import {
  CreatedWebhookDto, CreateWebhookDto, RedeliverWebhookDto, RotatedSecretDto, WebhookDeliveryListDto, WebhookDto, WebhookListDto,
} from './webhooks.dto';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function webhookIdOf(value: string): string {
  if (!UUID_PATTERN.test(value)) throw new ApiError(404, 'unknown_webhook', 'no webhook subscription has this id');
  return value;
}

function unknownWebhook(): never {
  throw new ApiError(404, 'unknown_webhook', 'no webhook subscription has this id');
}

function dtoOf(subscription: WebhookSubscription): WebhookDto {
  return {
    id: subscription.id, url: subscription.url, eventTypes: subscription.eventTypes, description: subscription.description,
    status: subscription.status, pausedReason: subscription.pausedReason,
    checkpoint: subscription.checkpoint === null ? null : formatPosition(subscription.checkpoint),
    consecutiveFailures: subscription.consecutiveFailures, nextAttemptAt: subscription.nextAttemptAt?.toISOString() ?? null,
    createdAt: subscription.createdAt.toISOString(), createdBy: subscription.createdBy,
  };
}

/** Webhook subscriptions for integrators (operators only: the route table). docs/operations.md#webhooks. */
@ApiTags('webhooks')
@ApiSecurity(API_KEY_SECURITY)
@Controller('v1/webhooks')
export class WebhooksController {
  private readonly subscriptions: WebhookSubscriptions;

  constructor(
    @Inject(LEDGER_RUNTIME) private readonly runtime: LedgerRuntime,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {
    this.subscriptions = new WebhookSubscriptions(runtime.connection.pool);
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Subscribes a URL to event types; the signing secret is in this answer only' })
  @ApiCreatedResponse({ type: CreatedWebhookDto })
  @ErrorResponses([400, 401, 413, 415, 500, 503], { 400: 'validation_failed, webhook_target_refused (not http(s), credentials in the URL, a private or loopback address).' })
  async create(@Req() request: Request, @Body() body: CreateWebhookDto): Promise<CreatedWebhookDto> {
    try {
      checkWebhookUrl(body.url, this.settings.configuration.webhookAllowPrivateTargets);
    } catch (error) {
      if (error instanceof WebhookTargetRefused) throw new ApiError(400, 'webhook_target_refused', error.message, 'url');
      throw error;
    }
    const eventTypes = [...new Set(body.eventTypes)];
    const created = await this.subscriptions.create({
      url: body.url, eventTypes, description: body.description ?? null, createdBy: callerOf(request).actor, head: (await this.runtime.store.readHeadPosition?.()) ?? null,
    });
    return { id: created.id, secret: created.secret, url: created.url, eventTypes: created.eventTypes };
  }

  @Get()
  @ApiOperation({ summary: 'Every subscription (never a secret)' })
  @ApiOkResponse({ type: WebhookListDto })
  @ErrorResponses([401, 500, 503])
  async list(): Promise<WebhookListDto> {
    return { webhooks: (await this.subscriptions.list()).map(dtoOf) };
  }

  @Get(':webhookId')
  @ApiOperation({ summary: 'One subscription: its state, checkpoint and why it is paused' })
  @ApiOkResponse({ type: WebhookDto })
  @ErrorResponses([401, 404, 500, 503], { 404: 'unknown_webhook.' })
  @IdentifierPathParameter('webhookId', 'Subscription id.')
  async one(@Param('webhookId') webhookId: string): Promise<WebhookDto> {
    return dtoOf((await this.subscriptions.find(webhookIdOf(webhookId))) ?? unknownWebhook());
  }

  @Post(':webhookId/disable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stops deliveries; the checkpoint stays where it is' })
  @ApiOkResponse({ type: WebhookDto })
  @ErrorResponses([400, 401, 404, 413, 415, 500, 503], { 404: 'unknown_webhook.' })
  @IdentifierPathParameter('webhookId', 'Subscription id.')
  async disable(@Param('webhookId') webhookId: string): Promise<WebhookDto> {
    const id = webhookIdOf(webhookId);
    if (!(await this.subscriptions.setStatus(id, 'disabled'))) unknownWebhook();
    return this.one(id);
  }

  @Post(':webhookId/enable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resumes a disabled or paused subscription from its checkpoint' })
  @ApiOkResponse({ type: WebhookDto })
  @ErrorResponses([400, 401, 404, 413, 415, 500, 503], { 404: 'unknown_webhook.' })
  @IdentifierPathParameter('webhookId', 'Subscription id.')
  async enable(@Param('webhookId') webhookId: string): Promise<WebhookDto> {
    const id = webhookIdOf(webhookId);
    if (!(await this.subscriptions.setStatus(id, 'active'))) unknownWebhook();
    return this.one(id);
  }

  @Post(':webhookId/secret-rotation')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new signing secret, in this answer only; the old one stops signing at once' })
  @ApiOkResponse({ type: RotatedSecretDto })
  @ErrorResponses([400, 401, 404, 413, 415, 500, 503], { 404: 'unknown_webhook.' })
  @IdentifierPathParameter('webhookId', 'Subscription id.')
  async rotateSecret(@Param('webhookId') webhookId: string): Promise<RotatedSecretDto> {
    const id = webhookIdOf(webhookId);
    return { id, secret: (await this.subscriptions.rotateSecret(id)) ?? unknownWebhook() };
  }

  @Post(':webhookId/redelivery')
  @HttpCode(200)
  @ApiOperation({ summary: 'Delivers again from a global position (inclusive); the subscription becomes active' })
  @ApiOkResponse({ type: WebhookDto })
  @ErrorResponses([400, 401, 404, 413, 415, 500, 503], { 404: 'unknown_webhook.' })
  @IdentifierPathParameter('webhookId', 'Subscription id.')
  async redeliver(@Param('webhookId') webhookId: string, @Body() body: RedeliverWebhookDto): Promise<WebhookDto> {
    const id = webhookIdOf(webhookId);
    const from = parsePosition(body.fromPosition);
    if (from === null) throw new ApiError(400, 'validation_failed', 'fromPosition: a global position commit/prepare', 'fromPosition');
    if (!(await this.subscriptions.rewind(id, from))) unknownWebhook();
    return this.one(id);
  }

  @Get(':webhookId/deliveries')
  @ApiOperation({ summary: `The delivery log: the last ${WEBHOOK_DELIVERIES_LISTED_MAXIMUM} attempts, oldest first (event, attempt, status, latency)` })
  @ApiOkResponse({ type: WebhookDeliveryListDto })
  @ErrorResponses([401, 404, 500, 503], { 404: 'unknown_webhook.' })
  @IdentifierPathParameter('webhookId', 'Subscription id.')
  async deliveries(@Param('webhookId') webhookId: string): Promise<WebhookDeliveryListDto> {
    const id = webhookIdOf(webhookId);
    if ((await this.subscriptions.find(id)) === null) unknownWebhook();
    return { deliveries: await this.subscriptions.deliveries(id, WEBHOOK_DELIVERIES_LISTED_MAXIMUM) };
  }

  @Delete(':webhookId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Deletes a subscription and its delivery log' })
  @ApiNoContentResponse()
  @ErrorResponses([401, 404, 500, 503], { 404: 'unknown_webhook.' })
  @IdentifierPathParameter('webhookId', 'Subscription id.')
  async remove(@Param('webhookId') webhookId: string): Promise<void> {
    if (!(await this.subscriptions.remove(webhookIdOf(webhookId)))) unknownWebhook();
  }
}

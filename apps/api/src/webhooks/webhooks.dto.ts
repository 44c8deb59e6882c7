import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { WEBHOOK_EVENT_TYPES_MAXIMUM, WEBHOOK_URL_LENGTH_MAXIMUM } from '@rsi/domain';
import { RefusesUnknownProperties } from '../http/openapi-patterns';

const EVENT_TYPE_PATTERN = /^(\*|[A-Z][A-Za-z0-9]{1,63})$/;
const POSITION_PATTERN = /^[0-9]{1,20}\/[0-9]{1,20}$/;

@RefusesUnknownProperties()
export class CreateWebhookDto {
  @IsString({ message: '$property: required, an http(s) URL' })
  @MaxLength(WEBHOOK_URL_LENGTH_MAXIMUM, { message: `$property: at most ${WEBHOOK_URL_LENGTH_MAXIMUM} characters` })
  @ApiProperty({ description: 'Where deliveries are POSTed: http or https; loopback and private addresses are refused unless RSI_WEBHOOK_ALLOW_PRIVATE_TARGETS=true.', example: 'https://hooks.example.com/rsi' })
  url!: string;

  @IsArray({ message: '$property: required, a list of event types' })
  @ArrayMinSize(1, { message: '$property: at least one event type' })
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES_MAXIMUM, { message: `$property: at most ${WEBHOOK_EVENT_TYPES_MAXIMUM} event types` })
  @IsString({ each: true, message: '$property: event type names' })
  @Matches(EVENT_TYPE_PATTERN, { each: true, message: '$property: event type names such as RevenueRecorded, or * for every type' })
  @ApiProperty({ type: [String], description: 'Event types delivered (e.g. RevenueRecorded, PayoutSettled), or ["*"] for all.', example: ['RevenueRecorded', 'PayoutSettled'] })
  eventTypes!: string[];

  @IsOptional()
  @IsString({ message: '$property: must be a string' })
  @MaxLength(200, { message: '$property: at most 200 characters' })
  @ApiPropertyOptional({ description: 'A note for people.' })
  description?: string;
}

@RefusesUnknownProperties()
export class RedeliverWebhookDto {
  @IsString({ message: '$property: required, a global position commit/prepare' })
  @Matches(POSITION_PATTERN, { message: '$property: a global position commit/prepare (as in a delivery\'s globalPosition)' })
  @ApiProperty({ description: 'Deliver again from this global position (inclusive): the subscription\'s checkpoint moves to just before it.', example: '1234/5678' })
  fromPosition!: string;
}

export class CreatedWebhookDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'The signing secret, shown this once (HMAC-SHA256 key of Rsi-Signature).' }) secret!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ type: [String] }) eventTypes!: string[];
}

export class WebhookDto {
  @ApiProperty() id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ type: [String] }) eventTypes!: string[];
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ enum: ['active', 'paused', 'disabled'] }) status!: 'active' | 'paused' | 'disabled';
  @ApiProperty({ type: String, nullable: true, description: 'Why the subscription was paused (consecutive failed deliveries and the last failure).' }) pausedReason!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Global position of the last event passed; null: before the first event.' }) checkpoint!: string | null;
  @ApiProperty() consecutiveFailures!: number;
  @ApiProperty({ type: String, nullable: true }) nextAttemptAt!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() createdBy!: string;
}

export class WebhookListDto {
  @ApiProperty({ type: [WebhookDto] }) webhooks!: WebhookDto[];
}

export class RotatedSecretDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'The new signing secret, shown this once; the old one stops signing at once.' }) secret!: string;
}

export class WebhookDeliveryDto {
  @ApiProperty() eventId!: string;
  @ApiProperty() eventType!: string;
  @ApiProperty() globalPosition!: string;
  @ApiProperty({ description: 'Attempt number of this event for this subscription (1: first).' }) attempt!: number;
  @ApiProperty() attemptedAt!: string;
  @ApiProperty({ enum: ['delivered', 'failed'] }) outcome!: 'delivered' | 'failed';
  @ApiProperty({ type: Number, nullable: true, description: 'The receiver\'s HTTP status; null when none came.' }) statusCode!: number | null;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty() latencyMilliseconds!: number;
}

export class WebhookDeliveryListDto {
  @ApiProperty({ type: [WebhookDeliveryDto] }) deliveries!: WebhookDeliveryDto[];
}

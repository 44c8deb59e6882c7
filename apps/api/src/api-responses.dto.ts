import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Swagger descriptions of the response bodies (the controllers build plain objects of these shapes). */

export class ErrorResponseDto {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({ description: 'Stable snake_case error code.', example: 'validation_failed' }) code!: string;
  @ApiProperty({ example: 'amount: an amount must be a decimal string such as "19.99", not a JSON number' }) message!: string;
  @ApiPropertyOptional({ description: 'The input field to blame, when one is.', example: 'amount' }) field?: string;
}

export class SplitLineDto {
  @ApiProperty({ example: 'platform' }) party!: string;
  @ApiProperty({ description: 'Decimal string in major units.', example: '30.00' }) amount!: string;
}

export class EncodedEventDto {
  @ApiProperty({ example: 'RevenueRecorded' }) type!: string;
  @ApiProperty({ description: 'Event data as encoded by the domain codec: amounts as strings of minor units.', type: 'object', additionalProperties: true })
  data!: Record<string, unknown>;
}

export class CommandResponseDto {
  @ApiProperty({ enum: ['recorded', 'already_recorded'] }) status!: 'recorded' | 'already_recorded';
  @ApiProperty({ example: 'RecordRevenue:rcpt-1' }) commandId!: string;
  @ApiProperty({ type: [EncodedEventDto], description: 'Events written by this request (empty when already recorded).' }) events!: EncodedEventDto[];
  @ApiPropertyOptional({ type: [SplitLineDto], description: 'Receipts: the split lines; refunds: the reversal lines (decimal strings).' })
  lines?: SplitLineDto[];
}

export class CurrencyBalanceDto {
  @ApiProperty({ example: 'USD' }) currency!: string;
  @ApiProperty({ example: '1170.00' }) pending!: string;
  @ApiProperty({ example: '0.00' }) available!: string;
  @ApiProperty({ example: '0.00' }) refunded!: string;
  @ApiProperty({ example: '0.00' }) payoutsInFlight!: string;
  @ApiProperty({ example: '0.00' }) paid!: string;
  @ApiProperty({ example: '1170.00' }) credited!: string;
}

export class DeveloperBalancesDto {
  @ApiProperty({ example: 'dev-1' }) developerId!: string;
  @ApiProperty({ example: '2026-02-01T00:00:00.000Z' }) asOf!: string;
  @ApiProperty({ type: [CurrencyBalanceDto] }) balances!: CurrencyBalanceDto[];
}

export class SplitDto {
  @ApiProperty() receiptId!: string;
  @ApiProperty() appId!: string;
  @ApiProperty() developerId!: string;
  @ApiProperty() currency!: string;
  @ApiProperty({ example: '1200.00' }) amount!: string;
  @ApiProperty() occurredAt!: string;
  @ApiProperty() recordedAt!: string;
  @ApiProperty() contractVersion!: number;
  @ApiProperty() contractHash!: string;
  @ApiProperty({ type: [SplitLineDto] }) lines!: SplitLineDto[];
}

export class SplitPageDto {
  @ApiProperty({ type: [SplitDto] }) items!: SplitDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `after` for the next page; null on the last page.' }) nextCursor!: string | null;
}

export class HealthDto {
  @ApiProperty({ example: 'ok' }) status!: 'ok';
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { currencySchema, identifierSchema, instantSchema, signedMoneySchema } from './openapi-patterns';
import { REVENUE_CATEGORIES } from '@rsi/domain';

/** A SHA-256 hex digest. */
const SHA256_HEX_PATTERN = /^[0-9a-f]{64}$/;

/** Swagger descriptions of the response bodies (the controllers build plain objects of these shapes). */

export class ErrorResponseDto {
  @ApiProperty({ type: 'integer', minimum: 400, maximum: 599, description: 'The HTTP status, repeated.', example: 400 }) statusCode!: number;
  @ApiProperty({ description: 'Stable snake_case error code.', example: 'validation_failed' }) code!: string;
  @ApiProperty({ example: 'amount: an amount must be a decimal string such as "19.99", not a JSON number' }) message!: string;
  @ApiPropertyOptional({ description: 'The input field to blame, when one is.', example: 'amount' }) field?: string;
}

export class SplitLineDto {
  @ApiProperty({ description: '"platform", "developer:<developerId>" or a carve-out party.', example: 'platform' }) party!: string;
  @ApiProperty(signedMoneySchema('Amount of the line; negative in a refund\'s reversal lines.', '30.00')) amount!: string;
}

export class EncodedEventDto {
  @ApiProperty({ example: 'RevenueRecorded' }) type!: string;
  @ApiProperty({ description: 'Event data as encoded by the domain codec: amounts as strings of minor units.', type: 'object', additionalProperties: true })
  data!: Record<string, unknown>;
}

export class CommandResponseDto {
  @ApiProperty({ enum: ['recorded', 'already_recorded'] }) status!: 'recorded' | 'already_recorded';
  @ApiProperty({ description: 'The command type and its natural key.', example: 'RecordRevenue:rcpt-1' }) commandId!: string;
  @ApiProperty({ type: [EncodedEventDto], description: 'Events written by this request (empty when already recorded).' }) events!: EncodedEventDto[];
  @ApiPropertyOptional({ type: [SplitLineDto], description: 'Receipts: the split lines; refunds: the reversal lines (decimal strings).' })
  lines?: SplitLineDto[];
}

export class CurrencyBalanceDto {
  @ApiProperty(currencySchema()) currency!: string;
  @ApiProperty(signedMoneySchema('Credits whose hold period has not ended at asOf.', '1170.00')) pending!: string;
  @ApiProperty(signedMoneySchema('credited − pending − reserved − refunded − payoutsInFlight − paid − disputed − disputesLost − disputeFees.', '0.00')) available!: string;
  @ApiProperty(signedMoneySchema('Credits reversed by refunds.', '0.00')) refunded!: string;
  @ApiProperty(signedMoneySchema('Payouts requested, neither settled nor failed.', '0.00')) payoutsInFlight!: string;
  @ApiProperty(signedMoneySchema('Payouts settled.', '0.00')) paid!: string;
  @ApiProperty(signedMoneySchema('Every developer line of the splits.', '1170.00')) credited!: string;
  @ApiProperty(signedMoneySchema('Developer lines reversed by disputes still open.', '0.00')) disputed!: string;
  @ApiProperty(signedMoneySchema('Dispute fees the developer bears (never returned).', '0.00')) disputeFees!: string;
  @ApiProperty(signedMoneySchema('Developer lines reversed by disputes lost (final).', '0.00')) disputesLost!: string;
  @ApiProperty(signedMoneySchema('Rolling reserve held at asOf (after covering a negative balance), apart from pending and available.', '0.00')) reserved!: string;
}

export class DeveloperBalancesDto {
  @ApiProperty(identifierSchema('Developer id.', 'dev-1')) developerId!: string;
  @ApiProperty(instantSchema('Instant of the balances (normalised).', '2026-02-01T00:00:00.000Z')) asOf!: string;
  @ApiProperty({ type: [CurrencyBalanceDto] }) balances!: CurrencyBalanceDto[];
}

export class SplitDto {
  @ApiProperty(identifierSchema('Receipt id.', 'rcpt-1')) receiptId!: string;
  @ApiProperty(identifierSchema('App id.', 'app-1')) appId!: string;
  @ApiProperty(identifierSchema('Developer id.', 'dev-1')) developerId!: string;
  @ApiProperty(currencySchema()) currency!: string;
  @ApiProperty(signedMoneySchema('Receipt amount.', '1200.00')) amount!: string;
  @ApiProperty(instantSchema('When the revenue occurred (normalised).', '2026-02-01T10:00:00.000Z')) occurredAt!: string;
  @ApiProperty(instantSchema('When the ledger recorded it (normalised).', '2026-02-01T10:00:01.000Z')) recordedAt!: string;
  @ApiProperty({ type: 'integer', minimum: 1, description: 'Contract version the receipt was split under.', example: 1 }) contractVersion!: number;
  @ApiProperty({ description: 'SHA-256 hex of the canonical contract document.', pattern: SHA256_HEX_PATTERN.source }) contractHash!: string;
  @ApiProperty({ type: [SplitLineDto] }) lines!: SplitLineDto[];
  @ApiProperty({ enum: REVENUE_CATEGORIES, description: 'Revenue category of the receipt (purchase when it named none); its contract terms and counters followed from it.', example: 'subscription' })
  category!: string;
}

export class SplitPageDto {
  @ApiProperty({ type: [SplitDto] }) items!: SplitDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `after` for the next page; null on the last page.' }) nextCursor!: string | null;
}

export class HealthDto {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
}

export class ReadinessDto {
  @ApiProperty({ enum: ['ready'] }) status!: 'ready';
  @ApiProperty({ description: 'Age of the oldest event the projector has not applied (0: caught up).' }) projectionLagSeconds!: number;
  @ApiProperty({ description: 'Events stored after the projector\'s checkpoint.' }) projectionLagEvents!: number;
}

export class SealPublicKeyDto {
  @ApiProperty({ enum: ['Ed25519'] }) algorithm!: 'Ed25519';
  @ApiProperty({ description: 'SPKI PEM, as `rsi-ledger seal-public-key` prints it', maxLength: 1000 }) publicKey!: string;
  @ApiProperty({ description: "Hex SHA-256 of the key's SPKI DER: compare it with the fingerprint published out of band", pattern: '^[0-9a-f]{64}$' }) fingerprint!: string;
}

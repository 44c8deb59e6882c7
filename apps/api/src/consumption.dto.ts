import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize, ArrayMinSize, IsArray, IsObject, IsOptional, IsString, Matches, MaxLength, type ValidationArguments,
} from 'class-validator';
import {
  DECIMAL_TEXT_LENGTH_MAXIMUM, INSTANT_TEXT_LENGTH_MAXIMUM, METER_NAME_LENGTH_MAXIMUM, METER_NAME_PATTERN,
} from '../../../libs/domain/src';
import { CurrencyField, IdentifierField, InstantField } from './ledger-commands.dto';

/**
 * Records per POST /v1/consumption/batch. 500 records of ~110 bytes fit the API's default
 * body limit of 64 KiB; the body limit applies too (413 body_too_large above it).
 */
export const CONSUMPTION_BATCH_RECORDS_MAXIMUM = 500;
const QUANTITY_PATTERN = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;
const QUANTITY_LENGTH_MAXIMUM = DECIMAL_TEXT_LENGTH_MAXIMUM;
const INSTANT_LENGTH_MAXIMUM = INSTANT_TEXT_LENGTH_MAXIMUM;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a JSON ${typeof value}`;
}

export class RecordConsumptionDto {
  @IdentifierField('Record id, unique per app (natural key: a retry with the same content records nothing).', 'rec-000001') recordId!: string;
  @IdentifierField('App id; the app must be registered.', 'app-1') appId!: string;

  @IsString({ message: (arguments_: ValidationArguments) => arguments_.value === undefined ? `${arguments_.property}: required` : `${arguments_.property}: must be a meter name string, not ${typeName(arguments_.value)}` })
  @MaxLength(METER_NAME_LENGTH_MAXIMUM, { message: `$property: at most ${METER_NAME_LENGTH_MAXIMUM} characters` })
  @Matches(METER_NAME_PATTERN, { message: '$property: dotted lower-case segments such as "tokens.input" or "gpu.seconds"' })
  @ApiProperty({ description: 'Meter name, priced by the price book in effect at occurredAt.', example: 'tokens.input', pattern: METER_NAME_PATTERN.source, maxLength: METER_NAME_LENGTH_MAXIMUM })
  meter!: string;

  @IsString({ message: (arguments_: ValidationArguments) => arguments_.value === undefined ? `${arguments_.property}: required` : `${arguments_.property}: a quantity must be a decimal string such as "1500" or "0.25", not ${typeName(arguments_.value)}` })
  @MaxLength(QUANTITY_LENGTH_MAXIMUM, { message: `$property: at most ${QUANTITY_LENGTH_MAXIMUM} characters` })
  @Matches(QUANTITY_PATTERN, {
    message: (arguments_: ValidationArguments) => String(arguments_.value).startsWith('-')
      ? `${arguments_.property}: a quantity must not be negative`
      : `${arguments_.property}: ${JSON.stringify(arguments_.value)} is not a plain decimal such as "1500" or "0.25"`,
  })
  @ApiProperty({ description: 'Exact non-negative decimal string, at most 9 decimals and 10^15; never a JSON number.', example: '1500', pattern: QUANTITY_PATTERN.source, type: String })
  quantity!: string;

  @InstantField('When the consumption occurred.', '2026-02-01T10:00:00Z') occurredAt!: string;
}

/**
 * The batch is checked here only as an array of 1..1,000 objects: each record's shape and
 * values are checked one by one, so that a bad record is refused alone (per-record outcome)
 * and the others are recorded.
 */
export class RecordConsumptionBatchDto {
  @IsArray({ message: (arguments_: ValidationArguments) => arguments_.value === undefined ? `${arguments_.property}: required` : `${arguments_.property}: must be an array, not ${typeName(arguments_.value)}` })
  @ArrayMinSize(1, { message: '$property: at least one record' })
  @ArrayMaxSize(CONSUMPTION_BATCH_RECORDS_MAXIMUM, { message: `$property: at most ${CONSUMPTION_BATCH_RECORDS_MAXIMUM} records per request` })
  @IsObject({ each: true, message: '$property: every record must be a JSON object' })
  @ApiProperty({ type: [RecordConsumptionDto], maxItems: CONSUMPTION_BATCH_RECORDS_MAXIMUM, minItems: 1 })
  records!: Record<string, unknown>[];
}

export class PublishPriceBookDto {
  @IdentifierField('Price book id (natural key).', 'usd-2026-03') priceBookId!: string;
  @InstantField('From when it prices consumption; after the previous price book and after every recorded consumption in the currency.', '2026-03-01T00:00:00Z') effectiveFrom!: string;
  @CurrencyField() currency!: string;
  @IsObject({ message: (arguments_: ValidationArguments) => arguments_.value === undefined ? `${arguments_.property}: required` : `${arguments_.property}: must be a JSON object, not ${typeName(arguments_.value)}` })
  @ApiProperty({
    description: 'Per meter name: listPrice (what pay-per-use would charge) and unitCost (the platform cost), decimal strings in major units per meter unit, at most 12 decimals. Checked meter by meter by the domain.',
    type: 'object', additionalProperties: true,
    example: { 'tokens.input': { listPrice: '0.0000005', unitCost: '0.0000002' }, 'gpu.seconds': { listPrice: '0.0011', unitCost: '0.0006' } },
  })
  meters!: Record<string, unknown>;
}

export class UnitEconomicsQueryDto {
  @IsOptional()
  @IsString({ message: '$property: must be a single RFC 3339 instant' })
  @MaxLength(INSTANT_LENGTH_MAXIMUM, { message: `$property: at most ${INSTANT_LENGTH_MAXIMUM} characters` })
  @ApiPropertyOptional({ description: 'Months from the month of this instant (UTC).', format: 'date-time' })
  from?: string;

  @IsOptional()
  @IsString({ message: '$property: must be a single RFC 3339 instant' })
  @MaxLength(INSTANT_LENGTH_MAXIMUM, { message: `$property: at most ${INSTANT_LENGTH_MAXIMUM} characters` })
  @ApiPropertyOptional({ description: 'Months before the month of this instant (UTC).', format: 'date-time' })
  to?: string;
}

export class ConsumptionRecordOutcomeDto {
  @ApiProperty({ example: 'rec-000001' }) recordId!: string;
  @ApiProperty({ enum: ['recorded', 'already_recorded', 'refused'] }) status!: string;
  @ApiPropertyOptional({ example: 'RecordConsumption:app-1:rec-000001' }) commandId?: string;
  @ApiPropertyOptional({ description: 'For a refused record: {statusCode, code, message, field}.', type: 'object', additionalProperties: true }) error?: Record<string, unknown>;
}

export class ConsumptionBatchResponseDto {
  @ApiProperty({ example: 500 }) recorded!: number;
  @ApiProperty({ example: 0 }) alreadyRecorded!: number;
  @ApiProperty({ example: 0 }) refused!: number;
  @ApiProperty({ type: [ConsumptionRecordOutcomeDto], description: 'One outcome per record, in request order.' }) outcomes!: ConsumptionRecordOutcomeDto[];
}

export class UnitEconomicsMonthDto {
  @ApiProperty({ example: '2026-02' }) month!: string;
  @ApiProperty({ example: 'USD' }) currency!: string;
  @ApiProperty({ example: '1000.00' }) grossRevenue!: string;
  @ApiProperty({ example: '100.00' }) refunds!: string;
  @ApiProperty({ description: 'Platform line of the splits less its reversals.', example: '108.00' }) platformShare!: string;
  @ApiProperty({ example: '27.00' }) carveOuts!: string;
  @ApiProperty({ description: 'Σ quantity × listPrice, rounded once half-up.', example: '0.54' }) payPerUseEquivalent!: string;
  @ApiProperty({ description: 'Σ quantity × unitCost, rounded once half-up.', example: '0.22' }) infrastructureCost!: string;
  @ApiProperty({ description: 'platformShare − infrastructure cost (exact), rounded once.', example: '107.79' }) platformMargin!: string;
  @ApiProperty({ description: 'pay-per-use equivalent (exact) − platformShare, rounded once.', example: '-107.46' }) developerSaving!: string;
  @ApiProperty({ example: '0.5375' }) payPerUseEquivalentExact!: string;
  @ApiProperty({ example: '0.215' }) infrastructureCostExact!: string;
}

export class UnitEconomicsResponseDto {
  @ApiProperty({ example: 'app-1' }) appId!: string;
  @ApiProperty({ example: 'dev-1' }) developerId!: string;
  @ApiProperty({ type: [UnitEconomicsMonthDto] }) months!: UnitEconomicsMonthDto[];
}

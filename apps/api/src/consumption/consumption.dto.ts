import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import {
  ArrayMaxSize, ArrayMinSize, IsArray, IsObject, IsOptional, IsString, Matches, MaxLength, type ValidationArguments,
} from 'class-validator';
import {
  DECIMAL_PATTERN, DECIMAL_TEXT_LENGTH_MAXIMUM, INSTANT_TEXT_LENGTH_MAXIMUM, METER_NAME_LENGTH_MAXIMUM, METER_NAME_PATTERN,
  PRICE_BOOK_METERS_MAXIMUM, QUANTITY_DECIMALS_MAXIMUM, UNIT_PRICE_DECIMALS_MAXIMUM, REVENUE_CATEGORIES,
} from '@rsi/domain';
import { ErrorResponseDto } from '../http/api-responses.dto';
import { CurrencyField, IdentifierField, InstantField } from '../developer-ledger/ledger-commands.dto';
import {
  RefusesUnknownProperties, SIGNED_AMOUNT_PATTERN, currencySchema, exactDecimalSchema, identifierSchema, instantSchema, signedMoneySchema,
} from '../http/openapi-patterns';

/**
 * Records per POST /v1/consumption/batch. 500 records of ~110 bytes fit the API's default
 * body limit of 64 KiB; the body limit applies too (413 body_too_large above it).
 */
export const CONSUMPTION_BATCH_RECORDS_MAXIMUM = 500;
/** The domain's exact-decimal syntax (parseQuantity checks the decimals and the maximum). */
const QUANTITY_PATTERN = DECIMAL_PATTERN;
const QUANTITY_LENGTH_MAXIMUM = DECIMAL_TEXT_LENGTH_MAXIMUM;
const UTC_MONTH_PATTERN = /^[0-9]{4}-[0-9]{2}$/;
const INSTANT_LENGTH_MAXIMUM = INSTANT_TEXT_LENGTH_MAXIMUM;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a JSON ${typeof value}`;
}

@RefusesUnknownProperties()
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
  @ApiProperty(exactDecimalSchema(`Exact non-negative decimal, at most ${QUANTITY_DECIMALS_MAXIMUM} decimals and 10^15.`, '1500'))
  quantity!: string;

  @InstantField('When the consumption occurred.', '2026-02-01T10:00:00Z') occurredAt!: string;
}

/**
 * The batch is checked here only as an array of 1..1,000 objects: each record's shape and
 * values are checked one by one, so that a bad record is refused alone (per-record outcome)
 * and the others are recorded.
 */
@RefusesUnknownProperties()
export class RecordConsumptionBatchDto {
  @IsArray({ message: (arguments_: ValidationArguments) => arguments_.value === undefined ? `${arguments_.property}: required` : `${arguments_.property}: must be an array, not ${typeName(arguments_.value)}` })
  @ArrayMinSize(1, { message: '$property: at least one record' })
  @ArrayMaxSize(CONSUMPTION_BATCH_RECORDS_MAXIMUM, { message: `$property: at most ${CONSUMPTION_BATCH_RECORDS_MAXIMUM} records per request` })
  @IsObject({ each: true, message: '$property: every record must be a JSON object' })
  @ApiProperty({
    type: [RecordConsumptionDto], maxItems: CONSUMPTION_BATCH_RECORDS_MAXIMUM, minItems: 1,
    description: 'Records as for POST /v1/consumption. A record that is not valid is refused alone (its outcome says why); the others are recorded.',
  })
  records!: Record<string, unknown>[];
}

/** The prices of one meter in a price book (checked by the domain's parsePriceBookMeters). */
@RefusesUnknownProperties()
export class PriceBookMeterPricesDto {
  @ApiProperty(exactDecimalSchema(`What pay-per-use would charge per meter unit, in major units, at most ${UNIT_PRICE_DECIMALS_MAXIMUM} decimals.`, '0.0000005'))
  listPrice!: string;

  @ApiProperty(exactDecimalSchema(`What one meter unit costs the platform, in major units, at most ${UNIT_PRICE_DECIMALS_MAXIMUM} decimals.`, '0.0000002'))
  unitCost!: string;
}

@RefusesUnknownProperties()
@ApiExtraModels(PriceBookMeterPricesDto)
export class PublishPriceBookDto {
  @IdentifierField('Price book id (natural key).', 'usd-2026-03') priceBookId!: string;
  @InstantField('From when it prices consumption; after the previous price book and after every recorded consumption in the currency.', '2026-03-01T00:00:00Z') effectiveFrom!: string;
  @CurrencyField() currency!: string;
  @IsObject({ message: (arguments_: ValidationArguments) => arguments_.value === undefined ? `${arguments_.property}: required` : `${arguments_.property}: must be a JSON object, not ${typeName(arguments_.value)}` })
  @ApiProperty({
    description: `Per meter name (dotted lower-case segments such as "tokens.input", at most ${METER_NAME_LENGTH_MAXIMUM} characters): its prices. Checked meter by meter by the domain.`,
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(PriceBookMeterPricesDto) },
    minProperties: 1,
    maxProperties: PRICE_BOOK_METERS_MAXIMUM,
    example: { 'tokens.input': { listPrice: '0.0000005', unitCost: '0.0000002' }, 'gpu.seconds': { listPrice: '0.0011', unitCost: '0.0006' } },
  })
  meters!: Record<string, unknown>;
}

export class UnitEconomicsQueryDto {
  @IsOptional()
  @IsString({ message: '$property: must be a single RFC 3339 instant' })
  @MaxLength(INSTANT_LENGTH_MAXIMUM, { message: `$property: at most ${INSTANT_LENGTH_MAXIMUM} characters` })
  @ApiPropertyOptional({ ...instantSchema('Months from the month of this instant (UTC).', '2026-02-01T00:00:00Z'), maxLength: INSTANT_LENGTH_MAXIMUM })
  from?: string;

  @IsOptional()
  @IsString({ message: '$property: must be a single RFC 3339 instant' })
  @MaxLength(INSTANT_LENGTH_MAXIMUM, { message: `$property: at most ${INSTANT_LENGTH_MAXIMUM} characters` })
  @ApiPropertyOptional({ ...instantSchema('Months before the month of this instant (UTC).', '2026-02-01T00:00:00Z'), maxLength: INSTANT_LENGTH_MAXIMUM })
  to?: string;
}

export class ConsumptionRecordOutcomeDto {
  @ApiProperty({ description: 'The recordId sent (empty when it was missing).', example: 'rec-000001', type: String }) recordId!: string;
  @ApiProperty({ enum: ['recorded', 'already_recorded', 'refused', 'failed'], description: 'failed: the ledger could not store this record (code command_not_storable or internal_error); the others were decided without it.' }) status!: string;
  @ApiPropertyOptional({ example: 'RecordConsumption:app-1:rec-000001' }) commandId?: string;
  @ApiPropertyOptional({ description: 'Why the record was refused or failed (the error body a single POST would give).', type: ErrorResponseDto }) error?: ErrorResponseDto;
}

export class ConsumptionBatchResponseDto {
  @ApiProperty({ type: 'integer', minimum: 0, example: 500 }) recorded!: number;
  @ApiProperty({ type: 'integer', minimum: 0, example: 0 }) alreadyRecorded!: number;
  @ApiProperty({ type: 'integer', minimum: 0, example: 0 }) refused!: number;
  @ApiProperty({ type: 'integer', minimum: 0, example: 0, description: 'Records the ledger could not store (status failed).' }) failed!: number;
  @ApiProperty({ type: [ConsumptionRecordOutcomeDto], description: 'One outcome per record, in request order.' }) outcomes!: ConsumptionRecordOutcomeDto[];
}

/** The revenue side of one app-month for one revenue category. */
export class UnitEconomicsCategoryDto {
  @ApiProperty({ enum: REVENUE_CATEGORIES, example: 'subscription' }) category!: string;
  @ApiProperty(signedMoneySchema('Receipts of the category that occurred in the month.', '600.00')) grossRevenue!: string;
  @ApiProperty(signedMoneySchema('Refunds of its receipts that occurred in the month.', '0.00')) refunds!: string;
  @ApiProperty(signedMoneySchema('Platform line of its splits less its reversals.', '90.00')) platformShare!: string;
  @ApiProperty(signedMoneySchema('Carve-out lines less their reversals.', '0.00')) carveOuts!: string;
  @ApiProperty(signedMoneySchema('What is left to the developer: gross − refunds − platform share − carve-outs.', '510.00')) developerShare!: string;
}

export class UnitEconomicsMonthDto {
  @ApiProperty({ description: 'UTC month.', example: '2026-02', pattern: UTC_MONTH_PATTERN.source }) month!: string;
  @ApiProperty(currencySchema()) currency!: string;
  @ApiProperty(signedMoneySchema('Receipts that occurred in the month.', '1000.00')) grossRevenue!: string;
  @ApiProperty(signedMoneySchema('Refunds that occurred in the month.', '100.00')) refunds!: string;
  @ApiProperty(signedMoneySchema('Platform line of the splits less its reversals.', '108.00')) platformShare!: string;
  @ApiProperty(signedMoneySchema('Carve-out lines less their reversals.', '27.00')) carveOuts!: string;
  @ApiProperty(signedMoneySchema('Σ quantity × listPrice, rounded once half-up.', '0.54')) payPerUseEquivalent!: string;
  @ApiProperty(signedMoneySchema('Σ quantity × unitCost, rounded once half-up.', '0.22')) infrastructureCost!: string;
  @ApiProperty(signedMoneySchema('platformShare − infrastructure cost (exact), rounded once.', '107.79')) platformMargin!: string;
  @ApiProperty(signedMoneySchema('pay-per-use equivalent (exact) − platformShare, rounded once.', '-107.46')) developerSaving!: string;
  @ApiProperty({ type: String, description: 'Exact, unrounded.', example: '0.5375', pattern: SIGNED_AMOUNT_PATTERN.source }) payPerUseEquivalentExact!: string;
  @ApiProperty({ type: String, description: 'Exact, unrounded.', example: '0.215', pattern: SIGNED_AMOUNT_PATTERN.source }) infrastructureCostExact!: string;
  @ApiProperty({
    type: [UnitEconomicsCategoryDto],
    description: 'The revenue figures of the month by revenue category (docs/domain.md "Revenue categories"), by category name; empty without receipts or refunds. They sum to the month\'s.',
  }) categories!: UnitEconomicsCategoryDto[];
}

export class UnitEconomicsResponseDto {
  @ApiProperty(identifierSchema('App id.', 'app-1')) appId!: string;
  @ApiProperty(identifierSchema('Developer id of the owner.', 'dev-1')) developerId!: string;
  @ApiProperty({ type: [UnitEconomicsMonthDto] }) months!: UnitEconomicsMonthDto[];
}

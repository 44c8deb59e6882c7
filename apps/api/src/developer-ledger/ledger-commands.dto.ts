import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString, Matches, MaxLength, type ValidationArguments } from 'class-validator';
import {
  COUNTRY_CODE_LENGTH, CURRENCY_CODE_LENGTH, IDENTIFIER_LENGTH_MAXIMUM, INCOME_GROUP_LENGTH_MAXIMUM, INSTANT_TEXT_LENGTH_MAXIMUM,
  MONEY_INPUT_LENGTH_MAXIMUM, NAME_LENGTH_MAXIMUM, REASON_LENGTH_MAXIMUM, REFERENCE_LENGTH_MAXIMUM, DISPUTE_OUTCOMES, RUN_ID_LENGTH_MAXIMUM,
  FX_RATE_TEXT_LENGTH_MAXIMUM, FX_SOURCE_LENGTH_MAXIMUM,
  REVENUE_CATEGORIES, REVENUE_CATEGORY_DEFAULT,
} from '@rsi/domain';
import { ContractTermsDto } from './contract-terms.dto';
import {
  AMOUNT_PATTERN, CURRENCY_PATTERN, FX_RATE_PATTERN, IDENTIFIER_PATTERN, RefusesUnknownProperties, currencySchema, fxRateSchema, identifierSchema, instantSchema,
  moneySchema,
} from '../http/openapi-patterns';

/** The domain's limits (ledger-limits), so both layers refuse at the same length. */
const AMOUNT_LENGTH_MAXIMUM = MONEY_INPUT_LENGTH_MAXIMUM;
const INSTANT_LENGTH_MAXIMUM = INSTANT_TEXT_LENGTH_MAXIMUM;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a JSON ${typeof value}`;
}

/** A string-typed field: "required" when missing, else which JSON type was sent instead. */
function stringRequired(what: string) {
  return IsString({
    message: (arguments_: ValidationArguments) => arguments_.value === undefined
      ? `${arguments_.property}: required`
      : `${arguments_.property}: must be ${what}, not ${typeName(arguments_.value)}`,
  });
}

export function IdentifierField(description: string, example: string) {
  return applyDecorators(
    stringRequired('an identifier string'),
    MaxLength(IDENTIFIER_LENGTH_MAXIMUM, { message: `$property: at most ${IDENTIFIER_LENGTH_MAXIMUM} characters` }),
    Matches(IDENTIFIER_PATTERN, { message: '$property: letters, digits and _ . : @ - only, starting with a letter or digit' }),
    ApiProperty(identifierSchema(description, example)),
  );
}

/** A free text; `lengthMaximum` is the domain's limit of its concept (name, reference, reason…). */
export function TextField(description: string, example: string, lengthMaximum: number) {
  return applyDecorators(
    stringRequired('a string'),
    MaxLength(lengthMaximum, { message: `$property: at most ${lengthMaximum} characters` }),
    ApiProperty({ description, example, maxLength: lengthMaximum }),
  );
}

export function MoneyField(description: string, example: string) {
  return applyDecorators(
    IsString({
      message: (arguments_: ValidationArguments) => arguments_.value === undefined
        ? `${arguments_.property}: required`
        : `${arguments_.property}: an amount must be a decimal string such as "19.99", not ${typeName(arguments_.value)}`,
    }),
    MaxLength(AMOUNT_LENGTH_MAXIMUM, { message: `$property: at most ${AMOUNT_LENGTH_MAXIMUM} characters` }),
    Matches(AMOUNT_PATTERN, {
      message: (arguments_: ValidationArguments) => String(arguments_.value).startsWith('-')
        ? `${arguments_.property}: the amount must be positive, ${JSON.stringify(arguments_.value)} is negative`
        : `${arguments_.property}: ${JSON.stringify(arguments_.value)} is not a plain decimal amount such as "19.99" (digits and an optional decimal point; no sign, exponent or spaces)`,
    }),
    ApiProperty(moneySchema(description, example)),
  );
}

export function InstantField(description: string, example: string) {
  return applyDecorators(
    stringRequired('an RFC 3339 instant string'),
    MaxLength(INSTANT_LENGTH_MAXIMUM, { message: `$property: at most ${INSTANT_LENGTH_MAXIMUM} characters` }),
    // The pattern is documented, not checked here: the domain's parseInstant answers instant_malformed.
    ApiProperty({ ...instantSchema(description, example), maxLength: INSTANT_LENGTH_MAXIMUM }),
  );
}

export function CurrencyField() {
  return applyDecorators(
    stringRequired('a currency code string'),
    Matches(CURRENCY_PATTERN, { message: '$property: an ISO 4217 code of three capital letters such as "USD"' }),
    ApiProperty(currencySchema()),
  );
}

/**
 * The contract terms are checked field by field by the domain's contract parser (so that the
 * API, the CLI and recorded versions share one definition); `ContractTermsDto` documents it.
 */
export function ContractField() {
  return applyDecorators(
    IsObject({
      message: (arguments_: ValidationArguments) => arguments_.value === undefined
        ? `${arguments_.property}: required`
        : `${arguments_.property}: must be a JSON object, not ${typeName(arguments_.value)}`,
    }),
    ApiProperty({
      description: 'Contract terms (docs/domain.md, "Contract terms"): rates are percent strings, amounts decimal strings in the contract currency.',
      type: ContractTermsDto,
      example: {
        currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z',
        platformShare: { tiers: [{ upTo: '1000.00', rate: '0%' }, { rate: '15%' }], window: 'lifetime', scope: 'app' },
        holdDays: 14, minimumPayout: '50.00',
      },
    }),
  );
}

@RefusesUnknownProperties()
export class RegisterDeveloperDto {
  @IdentifierField('Developer id.', 'dev-1') developerId!: string;
  @TextField('Display name. Personal data: stored encrypted under the developer\'s data key, erasable (POST /v1/developers/{developerId}/erasure).', 'Ada Apps', NAME_LENGTH_MAXIMUM) name!: string;
  @TextField('ISO 3166-1 alpha-2 country code, in capitals.', 'NG', COUNTRY_CODE_LENGTH) country!: string;
  @IsOptional()
  @IsString({ message: (arguments_: ValidationArguments) => `${arguments_.property}: must be a string or null, not ${typeName(arguments_.value)}` })
  @MaxLength(INCOME_GROUP_LENGTH_MAXIMUM, { message: `$property: at most ${INCOME_GROUP_LENGTH_MAXIMUM} characters` })
  @ApiPropertyOptional({ description: 'World Bank income group: low, lower-middle, upper-middle or high.', example: 'lower-middle', nullable: true, maxLength: INCOME_GROUP_LENGTH_MAXIMUM })
  incomeGroup?: string | null;
}

@RefusesUnknownProperties()
export class RegisterAppDto {
  @IdentifierField('App id.', 'app-1') appId!: string;
  @IdentifierField('Developer id of the owner.', 'dev-1') developerId!: string;
  @TextField('App name.', 'Story Writer', NAME_LENGTH_MAXIMUM) name!: string;
  @ContractField() contract!: Record<string, unknown>;
}

/** AmendContract: the app id is in the path. */
@RefusesUnknownProperties()
export class AmendContractDto {
  @ContractField() contract!: Record<string, unknown>;
}

@RefusesUnknownProperties()
export class RecordRevenueDto {
  @IdentifierField('Receipt id (natural key: a retry with the same content is harmless).', 'rcpt-1') receiptId!: string;
  @IdentifierField('App id.', 'app-1') appId!: string;
  @MoneyField('Receipt amount.', '1200.00') amount!: string;
  @CurrencyField() currency!: string;
  @InstantField('When the revenue occurred.', '2026-02-01T10:00:00Z') occurredAt!: string;
  @IsOptional()
  @IsIn(REVENUE_CATEGORIES as unknown as string[], { message: `$property: one of ${REVENUE_CATEGORIES.join(', ')} is required (default ${REVENUE_CATEGORY_DEFAULT})` })
  @ApiPropertyOptional({
    description: `What kind of revenue: its contract may split each category by terms of its own (platformShare.categories) and count its tiers and cap per category. Absent or null: ${REVENUE_CATEGORY_DEFAULT}. Part of the receipt's content: a retry naming another category is a conflict.`,
    enum: REVENUE_CATEGORIES, nullable: true, example: 'subscription',
  })
  category?: string | null;
}

@RefusesUnknownProperties()
export class RefundRevenueDto {
  @IdentifierField('Refund id.', 'refund-1') refundId!: string;
  @IdentifierField('Receipt id refunded.', 'rcpt-1') receiptId!: string;
  @MoneyField('Refunded amount, in the receipt currency.', '100.00') amount!: string;
  @InstantField('When the refund occurred.', '2026-02-05T10:00:00Z') occurredAt!: string;
}

/** An optional string field: null or absent alike; otherwise a string within `lengthMaximum`. */
function optionalString(what: string, lengthMaximum: number) {
  return applyDecorators(
    IsOptional(),
    IsString({ message: (arguments_: ValidationArguments) => `${arguments_.property}: must be ${what} or null, not ${typeName(arguments_.value)}` }),
    MaxLength(lengthMaximum, { message: `$property: at most ${lengthMaximum} characters` }),
  );
}

const CONVERSION_TOGETHER = 'Name payoutCurrency, fxRate and fxSource together, or none of them.';

@RefusesUnknownProperties()
export class RequestPayoutDto {
  @IdentifierField('Payout id.', 'payout-1') payoutId!: string;
  @IdentifierField('Developer id.', 'dev-1') developerId!: string;
  @CurrencyField() currency!: string;
  @MoneyField('Payout amount in `currency`, debited from the balance in that currency; at least the minimum payout and at most the available balance.', '500.00') amount!: string;
  @InstantField('When the payout was requested (available balance as of then).', '2026-03-01T00:00:00Z') requestedAt!: string;
  @optionalString('a currency code string', CURRENCY_CODE_LENGTH)
  @Matches(CURRENCY_PATTERN, { message: '$property: an ISO 4217 code of three capital letters such as "JPY"' })
  @ApiPropertyOptional({
    ...currencySchema(), nullable: true, example: 'JPY',
    description: `Pay out in this currency instead (ISO 4217, real money, not \`currency\`): the amount paid is \`amount\` × \`fxRate\`, rounded half to even to its minor unit. ${CONVERSION_TOGETHER}`,
  })
  payoutCurrency?: string | null;
  @optionalString('a decimal string such as "151.237"', FX_RATE_TEXT_LENGTH_MAXIMUM)
  @Matches(FX_RATE_PATTERN, {
    message: (arguments_: ValidationArguments) => `${arguments_.property}: ${JSON.stringify(arguments_.value)} is not a plain positive decimal such as "151.237" (digits and an optional decimal point; no sign, exponent or spaces)`,
  })
  @ApiPropertyOptional(fxRateSchema(`Units of \`payoutCurrency\` per unit of \`currency\`. ${CONVERSION_TOGETHER}`, '151.237'))
  fxRate?: string | null;
  @optionalString('a string', FX_SOURCE_LENGTH_MAXIMUM)
  @ApiPropertyOptional({
    description: `Where the rate comes from, recorded with the payout and shown on statements. ${CONVERSION_TOGETHER}`,
    example: 'ECB reference rate 2026-02-27', nullable: true, maxLength: FX_SOURCE_LENGTH_MAXIMUM,
  })
  fxSource?: string | null;
}

/** SettlePayout: the payout id is in the path. */
@RefusesUnknownProperties()
export class SettlePayoutDto {
  @InstantField('When the payout was settled.', '2026-03-02T00:00:00Z') settledAt!: string;
  @TextField('Bank or payment reference.', 'wire-123', REFERENCE_LENGTH_MAXIMUM) reference!: string;
}

/** FailPayout: the payout id is in the path. */
@RefusesUnknownProperties()
@RefusesUnknownProperties()
export class ErasePersonalDataDto {
  @IsOptional()
  @IsString({ message: (arguments_: ValidationArguments) => `${arguments_.property}: must be a string or null, not ${typeName(arguments_.value)}` })
  @MaxLength(REASON_LENGTH_MAXIMUM, { message: `$property: at most ${REASON_LENGTH_MAXIMUM} characters` })
  @ApiPropertyOptional({
    description: 'Why (a request reference or legal basis). Recorded in the hash-chained event for good: must not itself hold personal data.',
    example: 'erasure request 2026-118', nullable: true, maxLength: REASON_LENGTH_MAXIMUM,
  })
  reason?: string | null;
}

export class FailPayoutDto {
  @InstantField('When the payout failed.', '2026-03-02T00:00:00Z') failedAt!: string;
  @TextField('Why it failed.', 'account closed', REASON_LENGTH_MAXIMUM) reason!: string;
}

@RefusesUnknownProperties()
export class OpenDisputeDto {
  @IdentifierField('Dispute id (natural key).', 'dispute-1') disputeId!: string;
  @IdentifierField('Receipt id disputed.', 'rcpt-1') receiptId!: string;
  @MoneyField('Disputed amount, in the receipt currency: at most what is neither refunded nor under dispute.', '100.00') amount!: string;
  @MoneyField('Dispute fee, in the receipt currency ("0" for none), charged to the contract\'s disputeFeeBearer; never returned.', '15.00') fee!: string;
  @InstantField('When the dispute was opened.', '2026-02-10T10:00:00Z') openedAt!: string;
}

/** ResolveDispute: the dispute id is in the path. */
@RefusesUnknownProperties()
export class ResolveDisputeDto {
  @IsIn(DISPUTE_OUTCOMES as unknown as string[], { message: `$property: one of ${DISPUTE_OUTCOMES.join(', ')} is required` })
  @ApiProperty({ description: 'won: the reversed lines go back to the parties; lost: the reversal is final.', enum: DISPUTE_OUTCOMES, example: 'won' })
  outcome!: string;
  @InstantField('When the dispute was resolved.', '2026-03-10T10:00:00Z') resolvedAt!: string;
}

/** RunPayouts: an operator's payout run over every developer with a balance in the currency. */
@RefusesUnknownProperties()
export class RunPayoutsDto {
  @IdentifierField(`Run id (natural key, at most ${RUN_ID_LENGTH_MAXIMUM} characters): payout ids are <runId>:<developerId>; re-running it changes nothing.`, 'run-2026-03')
  @MaxLength(RUN_ID_LENGTH_MAXIMUM, { message: `$property: at most ${RUN_ID_LENGTH_MAXIMUM} characters` })
  runId!: string;
  @CurrencyField() currency!: string;
  @InstantField('Balances available at this instant are paid out (it is also each payout\'s requestedAt).', '2026-03-01T00:00:00Z') asOf!: string;
}

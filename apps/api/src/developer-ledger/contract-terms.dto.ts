/**
 * The schema of contract terms for the OpenAPI document. The server validates terms with the
 * domain's `parseContractTerms` (one parser for the API, the CLI and recorded versions); these
 * classes describe exactly what that parser accepts — the same keys, enums, bounds and
 * patterns, from the same constants — and are never used to validate. Rules across fields
 * (tier bounds strictly increasing, only the last tier open-ended, the 100% limits, each
 * carve-out party once) are in the descriptions.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  CARVE_OUT_BASES, CATEGORY_COUNTERS, CATEGORY_COUNTER_DEFAULT, CONTRACT_CARVE_OUTS_MAXIMUM, CONTRACT_SCOPES, CONTRACT_TIERS_MAXIMUM, CONTRACT_WINDOWS,
  DISPUTE_FEE_BEARERS, type CarveOutBase, type CategoryCounter, type ContractScope, type ContractWindow, type DisputeFeeBearer,
} from '@rsi/domain';
import {
  RefusesUnknownProperties, currencySchema, holdDaysSchema, instantSchema, moneySchema, partySchema, rateSchema,
} from '../http/openapi-patterns';

@RefusesUnknownProperties()
export class ContractTierDto {
  @ApiPropertyOptional({
    ...moneySchema('Cumulative upper bound (exclusive) of this tier. Required on every tier but the last, strictly increasing; the last tier is open-ended (absent or null).', '1000.00'),
    nullable: true,
  })
  upTo?: string | null;

  @ApiProperty(rateSchema('Platform share rate within this tier.', '15%'))
  rate!: string;
}

/** A revenue category's own platform-share terms (same shape as the default ones, without `counter` and `categories`). */
@RefusesUnknownProperties()
export class CategoryPlatformShareDto {
  @ApiProperty({ type: [ContractTierDto], minItems: 1, maxItems: CONTRACT_TIERS_MAXIMUM, description: 'Tiers in increasing order of their bound.' })
  tiers!: ContractTierDto[];

  @ApiProperty({ enum: CONTRACT_WINDOWS, description: 'Window over which the tier position is counted.' })
  window!: ContractWindow;

  @ApiProperty({ enum: CONTRACT_SCOPES, description: 'Whether the tier position is counted per app or over all apps of the developer.' })
  scope!: ContractScope;
}

/** `platformShare.categories`: the revenue categories (REVENUE_CATEGORIES) with terms of their own. */
@RefusesUnknownProperties()
export class PlatformShareCategoriesDto {
  @ApiPropertyOptional({ type: CategoryPlatformShareDto, description: 'Terms of purchases (receipts without a category are purchases).' })
  purchase?: CategoryPlatformShareDto;

  @ApiPropertyOptional({ type: CategoryPlatformShareDto, description: 'Terms of subscriptions.' })
  subscription?: CategoryPlatformShareDto;

  @ApiPropertyOptional({ type: CategoryPlatformShareDto, description: 'Terms of advertising revenue.' })
  advertising?: CategoryPlatformShareDto;
}

const COUNTER_DESCRIPTION = `Whether the counter counts the receipts of every category (${CATEGORY_COUNTER_DEFAULT}, the default) or only those of the receipt's own category. Written into the hashed terms only when per_category.`;

@RefusesUnknownProperties()
export class PlatformShareDto extends CategoryPlatformShareDto {
  @ApiPropertyOptional({ enum: CATEGORY_COUNTERS, nullable: true, description: `Tier counter. ${COUNTER_DESCRIPTION}` })
  counter?: CategoryCounter | null;

  @ApiPropertyOptional({
    type: PlatformShareCategoriesDto, nullable: true,
    description: 'Categories split by terms of their own; the others (and receipts without a category, purchases) by the default terms above. The highest rate of every category counts in the 100% limit.',
  })
  categories?: PlatformShareCategoriesDto | null;
}

@RefusesUnknownProperties()
export class PlatformCapDto {
  @ApiProperty(moneySchema('Most the platform share may reach within the window.', '100000.00'))
  amount!: string;

  @ApiProperty({ enum: CONTRACT_WINDOWS })
  window!: ContractWindow;

  @ApiPropertyOptional({ enum: CATEGORY_COUNTERS, nullable: true, description: `Cap counter (counted in platformShare.scope). ${COUNTER_DESCRIPTION}` })
  counter?: CategoryCounter | null;
}

@RefusesUnknownProperties()
export class CarveOutDto {
  @ApiProperty(partySchema())
  party!: string;

  @ApiProperty(rateSchema('Share of the base given to the party.', '2.5%'))
  rate!: string;

  @ApiProperty({ enum: CARVE_OUT_BASES, description: 'platform: a share of the platform share; basis: a share of the receipt.' })
  of!: CarveOutBase;
}

@RefusesUnknownProperties()
export class ReserveDto {
  @ApiProperty(rateSchema('Share of each developer credit held (floor, in minor units).', '10%'))
  rate!: string;

  @ApiProperty(holdDaysSchema())
  holdDays!: number | string;
}

@RefusesUnknownProperties()
export class ContractTermsDto {
  @ApiProperty(currencySchema())
  currency!: string;

  @ApiProperty(instantSchema('From when this version applies to receipts.', '2026-01-01T00:00:00Z'))
  effectiveFrom!: string;

  @ApiProperty({ type: PlatformShareDto })
  platformShare!: PlatformShareDto;

  @ApiPropertyOptional(rateSchema('Multiplies every tier rate (default 100%). The highest tier rate × rateMultiplier plus the basis carve-outs must not exceed 100%.', '100%'))
  rateMultiplier?: string;

  @ApiPropertyOptional({ type: PlatformCapDto, nullable: true, description: 'Cap on the platform share per window; absent or null for none.' })
  platformCap?: PlatformCapDto | null;

  @ApiPropertyOptional({
    type: [CarveOutDto], maxItems: CONTRACT_CARVE_OUTS_MAXIMUM, nullable: true,
    description: 'Third-party shares (absent or null for none); the platform carve-outs together at most 100% of the platform share.',
  })
  carveOuts?: CarveOutDto[] | null;

  @ApiProperty(holdDaysSchema())
  holdDays!: number | string;

  @ApiProperty(moneySchema('Smallest payout the developer may request; zero allowed.', '50.00'))
  minimumPayout!: string;

  @ApiPropertyOptional({
    enum: DISPUTE_FEE_BEARERS, nullable: true,
    description: 'Who pays a dispute\'s fee: developer (default) or platform. Written into the hashed terms only when platform.',
  })
  disputeFeeBearer?: DisputeFeeBearer | null;

  @ApiPropertyOptional({
    type: ReserveDto, nullable: true,
    description: 'Rolling reserve: that share of each developer credit is held until occurredAt + reserve.holdDays instead of the ordinary hold; absent or null for none.',
  })
  reserve?: ReserveDto | null;
}

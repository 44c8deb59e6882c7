import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IDENTIFIER_LENGTH_MAXIMUM, INSTANT_TEXT_LENGTH_MAXIMUM } from '@rsi/domain';
import { IDENTIFIER_PATTERN, identifierSchema, instantSchema } from '../http/openapi-patterns';

export const SPLITS_PAGE_LIMIT_MAXIMUM = 1000;
export const SPLITS_PAGE_LIMIT_DEFAULT = 100;
const INSTANT_LENGTH_MAXIMUM = INSTANT_TEXT_LENGTH_MAXIMUM;
const CURSOR_LENGTH_MAXIMUM = 128;
const LIMIT_PATTERN = /^[1-9][0-9]{0,3}$/;

export class BalancesQueryDto {
  @IsOptional()
  @IsString({ message: '$property: must be a single RFC 3339 instant' })
  @MaxLength(INSTANT_LENGTH_MAXIMUM, { message: `$property: at most ${INSTANT_LENGTH_MAXIMUM} characters` })
  @ApiPropertyOptional({ ...instantSchema('Instant at which pending and available are told apart (default now).', '2026-02-01T00:00:00Z'), maxLength: INSTANT_LENGTH_MAXIMUM })
  asOf?: string;

  @IsOptional()
  @IsString({ message: '$property: must be a single RFC 3339 instant' })
  @MaxLength(INSTANT_LENGTH_MAXIMUM, { message: `$property: at most ${INSTANT_LENGTH_MAXIMUM} characters` })
  @ApiPropertyOptional({
    ...instantSchema('The ledger as it stood at this booking instant: only what was booked by then, pending versus available at that instant too (not with asOf).', '2026-02-01T00:00:00Z'),
    maxLength: INSTANT_LENGTH_MAXIMUM,
  })
  bookedAsOf?: string;
}

export class ListSplitsQueryDto {
  @IsOptional()
  @IsString({ message: '$property: must be a single identifier' })
  @MaxLength(IDENTIFIER_LENGTH_MAXIMUM, { message: `$property: at most ${IDENTIFIER_LENGTH_MAXIMUM} characters` })
  @Matches(IDENTIFIER_PATTERN, { message: '$property: letters, digits and _ . : @ - only, starting with a letter or digit' })
  @ApiPropertyOptional(identifierSchema('Only the splits of this developer.', 'dev-1'))
  developerId?: string;

  @IsOptional()
  @IsString({ message: '$property: must be a single identifier' })
  @MaxLength(IDENTIFIER_LENGTH_MAXIMUM, { message: `$property: at most ${IDENTIFIER_LENGTH_MAXIMUM} characters` })
  @Matches(IDENTIFIER_PATTERN, { message: '$property: letters, digits and _ . : @ - only, starting with a letter or digit' })
  @ApiPropertyOptional(identifierSchema('Only the splits of this app.', 'app-1'))
  appId?: string;

  @IsOptional()
  @IsString({ message: '$property: must be a single RFC 3339 instant' })
  @MaxLength(INSTANT_LENGTH_MAXIMUM, { message: `$property: at most ${INSTANT_LENGTH_MAXIMUM} characters` })
  @ApiPropertyOptional({ ...instantSchema('occurredAt at or after this instant.', '2026-02-01T00:00:00Z'), maxLength: INSTANT_LENGTH_MAXIMUM })
  from?: string;

  @IsOptional()
  @IsString({ message: '$property: must be a single RFC 3339 instant' })
  @MaxLength(INSTANT_LENGTH_MAXIMUM, { message: `$property: at most ${INSTANT_LENGTH_MAXIMUM} characters` })
  @ApiPropertyOptional({ ...instantSchema('occurredAt before this instant.', '2026-02-01T00:00:00Z'), maxLength: INSTANT_LENGTH_MAXIMUM })
  to?: string;

  @IsOptional()
  @IsString({ message: '$property: must be a single integer' })
  @Matches(LIMIT_PATTERN, { message: `$property: an integer from 1 to ${SPLITS_PAGE_LIMIT_MAXIMUM}` })
  @ApiPropertyOptional({ description: `Items per page, 1..${SPLITS_PAGE_LIMIT_MAXIMUM} (default ${SPLITS_PAGE_LIMIT_DEFAULT}).`, type: String, example: '100', pattern: LIMIT_PATTERN.source })
  limit?: string;

  @IsOptional()
  @IsString({ message: '$property: must be a single cursor' })
  @MaxLength(CURSOR_LENGTH_MAXIMUM, { message: `$property: at most ${CURSOR_LENGTH_MAXIMUM} characters` })
  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page.', maxLength: CURSOR_LENGTH_MAXIMUM })
  after?: string;
}

export class ExportQueryDto {
  @IsOptional()
  @IsIn(['csv', 'jsonl'], { message: '$property: csv or jsonl' })
  @ApiPropertyOptional({ enum: ['csv', 'jsonl'], description: 'Default jsonl.' })
  format?: 'csv' | 'jsonl';

  @IsOptional()
  @IsString({ message: '$property: must be a single RFC 3339 instant' })
  @MaxLength(INSTANT_LENGTH_MAXIMUM, { message: `$property: at most ${INSTANT_LENGTH_MAXIMUM} characters` })
  @ApiPropertyOptional({ ...instantSchema('occurredAt at or after this instant.', '2026-02-01T00:00:00Z'), maxLength: INSTANT_LENGTH_MAXIMUM })
  from?: string;

  @IsOptional()
  @IsString({ message: '$property: must be a single RFC 3339 instant' })
  @MaxLength(INSTANT_LENGTH_MAXIMUM, { message: `$property: at most ${INSTANT_LENGTH_MAXIMUM} characters` })
  @ApiPropertyOptional({ ...instantSchema('occurredAt before this instant.', '2026-02-01T00:00:00Z'), maxLength: INSTANT_LENGTH_MAXIMUM })
  to?: string;

  @IsOptional()
  @IsString({ message: '$property: must be a single RFC 3339 instant' })
  @MaxLength(INSTANT_LENGTH_MAXIMUM, { message: `$property: at most ${INSTANT_LENGTH_MAXIMUM} characters` })
  @ApiPropertyOptional({ ...instantSchema('Pending versus available as of this instant (default now).', '2026-02-01T00:00:00Z'), maxLength: INSTANT_LENGTH_MAXIMUM })
  asOf?: string;
}

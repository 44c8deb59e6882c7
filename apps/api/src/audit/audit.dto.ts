import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';
import { IDENTIFIER_LENGTH_MAXIMUM, INSTANT_TEXT_LENGTH_MAXIMUM } from '@rsi/domain';
import { RefusesUnknownProperties, instantSchema } from '../http/openapi-patterns';

export class StatementQueryDto {
  @IsOptional()
  @IsIn(['json', 'csv', 'html'], { message: '$property: json, csv or html' })
  @ApiPropertyOptional({ enum: ['json', 'csv', 'html'], description: 'Default json (the form verify-statement and POST /v1/statements/verify check).' })
  format?: 'json' | 'csv' | 'html';
}

@RefusesUnknownProperties()
export class WhatIfDto {
  @IsString({ message: '$property: required, an app id' })
  @MaxLength(IDENTIFIER_LENGTH_MAXIMUM, { message: `$property: at most ${IDENTIFIER_LENGTH_MAXIMUM} characters` })
  @ApiProperty({ description: 'The app whose recorded receipts are replayed.' })
  appId!: string;

  @IsObject({ message: '$property: required, contract terms (the shape of a contract amendment)' })
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The contract terms to replay under.' })
  contract!: Record<string, unknown>;

  @IsOptional()
  @IsString({ message: '$property: must be a single RFC 3339 instant' })
  @MaxLength(INSTANT_TEXT_LENGTH_MAXIMUM, { message: `$property: at most ${INSTANT_TEXT_LENGTH_MAXIMUM} characters` })
  @ApiPropertyOptional({ ...instantSchema('Receipts whose occurredAt is at or after this instant.', '2026-01-01T00:00:00Z'), maxLength: INSTANT_TEXT_LENGTH_MAXIMUM })
  from?: string;

  @IsOptional()
  @IsString({ message: '$property: must be a single RFC 3339 instant' })
  @MaxLength(INSTANT_TEXT_LENGTH_MAXIMUM, { message: `$property: at most ${INSTANT_TEXT_LENGTH_MAXIMUM} characters` })
  @ApiPropertyOptional({ ...instantSchema('Receipts whose occurredAt is before this instant.', '2026-04-01T00:00:00Z'), maxLength: INSTANT_TEXT_LENGTH_MAXIMUM })
  to?: string;
}

export class VerifyJobDto {
  @ApiProperty() jobId!: string;
  @ApiProperty({ enum: ['running', 'finished', 'failed'] }) status!: 'running' | 'finished' | 'failed';
  @ApiProperty() requestedBy!: string;
  @ApiProperty() startedAt!: string;
  @ApiProperty({ type: String, nullable: true }) finishedAt!: string | null;
  @ApiProperty({ type: Boolean, nullable: true, description: 'The report says every check holds.' }) ok!: boolean | null;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true, description: 'The report of rsi-ledger verify, once finished.' }) report!: unknown;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
}

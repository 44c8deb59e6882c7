import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { IDENTIFIER_LENGTH_MAXIMUM, INSTANT_TEXT_LENGTH_MAXIMUM } from '@rsi/domain';
import { API_ROLES, type ApiRole } from '@rsi/ledger';
import { RefusesUnknownProperties, instantSchema } from '../http/openapi-patterns';

/** The caller of a request, for the web pages: its key, role and developer. */
export class SessionDto {
  @ApiProperty({ description: 'The key of the request; `anonymous` when the server runs without keys.' }) keyId!: string;
  @ApiProperty({ enum: API_ROLES }) role!: ApiRole;
  @ApiProperty({ type: String, nullable: true, description: 'The developer a developer key is bound to; null for the other roles.' }) developerId!: string | null;
  @ApiProperty({ description: 'False for an anonymous caller (a server without keys).' }) authenticated!: boolean;
}

@RefusesUnknownProperties()
export class IssueKeyDto {
  @IsString({ message: '$property: required, one of operator, developer, auditor, finance' })
  @IsIn([...API_ROLES], { message: '$property: one of operator, developer, auditor, finance' })
  @ApiProperty({ enum: API_ROLES })
  role!: ApiRole;

  @IsOptional()
  @IsString({ message: '$property: must be an identifier string' })
  @MaxLength(IDENTIFIER_LENGTH_MAXIMUM, { message: `$property: at most ${IDENTIFIER_LENGTH_MAXIMUM} characters` })
  @ApiPropertyOptional({ description: 'Required for, and only for, a developer key: the developer it is bound to.' })
  developerId?: string;

  @IsOptional()
  @IsString({ message: '$property: must be a string' })
  @MaxLength(200, { message: '$property: at most 200 characters' })
  @ApiPropertyOptional({ description: 'A note for people (who holds the key).' })
  label?: string;

  @IsOptional()
  @IsString({ message: '$property: must be a single RFC 3339 instant' })
  @MaxLength(INSTANT_TEXT_LENGTH_MAXIMUM, { message: `$property: at most ${INSTANT_TEXT_LENGTH_MAXIMUM} characters` })
  @ApiPropertyOptional({ ...instantSchema('The key stops working at this instant.', '2027-01-01T00:00:00Z'), maxLength: INSTANT_TEXT_LENGTH_MAXIMUM })
  expiresAt?: string;
}

export class IssuedKeyDto {
  @ApiProperty() keyId!: string;
  @ApiProperty({ description: 'Shown once: only its SHA-256 digest is kept.' }) secret!: string;
  @ApiProperty({ enum: API_ROLES }) role!: ApiRole;
  @ApiProperty({ type: String, nullable: true }) developerId!: string | null;
}

export class KeyDto {
  @ApiProperty() keyId!: string;
  @ApiProperty({ enum: API_ROLES }) role!: ApiRole;
  @ApiProperty({ type: String, nullable: true }) developerId!: string | null;
  @ApiProperty({ type: String, nullable: true }) label!: string | null;
  @ApiProperty({ type: String, nullable: true }) expiresAt!: string | null;
  @ApiProperty() issuedAt!: string;
  @ApiProperty() issuedBy!: string;
  @ApiProperty({ type: String, nullable: true }) revokedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) revokedBy!: string | null;
  @ApiProperty({ enum: ['active', 'revoked', 'expired'] }) status!: 'active' | 'revoked' | 'expired';
}

export class KeyListDto {
  @ApiProperty({ type: [KeyDto] }) keys!: KeyDto[];
}

export class KeyRevocationDto {
  @ApiProperty({ enum: ['revoked', 'already_revoked'] }) status!: 'revoked' | 'already_revoked';
  @ApiProperty({ type: KeyDto }) key!: KeyDto;
}

export class AccessLogQueryDto {
  @IsOptional()
  @IsIn(['csv', 'jsonl'], { message: '$property: csv or jsonl' })
  @ApiPropertyOptional({ enum: ['csv', 'jsonl'], description: 'Default jsonl.' })
  format?: 'csv' | 'jsonl';

  @IsOptional()
  @IsString({ message: '$property: must be a single RFC 3339 instant' })
  @MaxLength(INSTANT_TEXT_LENGTH_MAXIMUM, { message: `$property: at most ${INSTANT_TEXT_LENGTH_MAXIMUM} characters` })
  @ApiPropertyOptional({ ...instantSchema('Requests at or after this instant.', '2026-02-01T00:00:00Z'), maxLength: INSTANT_TEXT_LENGTH_MAXIMUM })
  from?: string;

  @IsOptional()
  @IsString({ message: '$property: must be a single RFC 3339 instant' })
  @MaxLength(INSTANT_TEXT_LENGTH_MAXIMUM, { message: `$property: at most ${INSTANT_TEXT_LENGTH_MAXIMUM} characters` })
  @ApiPropertyOptional({ ...instantSchema('Requests before this instant.', '2026-03-01T00:00:00Z'), maxLength: INSTANT_TEXT_LENGTH_MAXIMUM })
  to?: string;
}

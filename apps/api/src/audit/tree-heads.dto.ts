import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';

const SHA256_HEX_PATTERN = '^[0-9a-f]{64}$';
/** A tree size or index: at most 2^48, so at most 15 digits. */
const SIZE_PATTERN = /^[1-9][0-9]{0,14}$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class TreeHeadDto {
  @ApiProperty({ enum: ['rsi-ledger/tree-head/v1'] }) scheme!: string;
  @ApiProperty({ type: 'integer', minimum: 1, description: 'Events in the log (leaves of the tree), in global order.', example: 1042 }) treeSize!: number;
  @ApiProperty({ pattern: SHA256_HEX_PATTERN, description: 'RFC 9162 Merkle tree hash of the first treeSize leaves, hex.' }) rootHash!: string;
  @ApiProperty({ description: 'The database clock when the head was issued (UTC, milliseconds).', example: '2026-03-01T08:00:00.000Z' }) issuedAt!: string;
  @ApiProperty({ description: 'SPKI PEM of the Ed25519 key that signed; check against the published key, not this one.' }) publicKey!: string;
  @ApiProperty({ description: 'Base64 Ed25519 signature of the canonical JSON {issuedAt, rootHash, scheme, treeSize} (docs/audit.md).' }) signature!: string;
}

export class ConsistencyProofDto {
  @ApiProperty({ type: 'integer', minimum: 1 }) oldSize!: number;
  @ApiProperty({ type: 'integer', minimum: 1 }) newSize!: number;
  @ApiProperty({ pattern: SHA256_HEX_PATTERN }) oldRoot!: string;
  @ApiProperty({ pattern: SHA256_HEX_PATTERN }) newRoot!: string;
  @ApiProperty({ type: [String], description: 'RFC 9162 §2.1.4 consistency proof, hex hashes in order.' }) proof!: string[];
}

export class InclusionProofDto {
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty({ type: 'integer', minimum: 0 }) leafIndex!: number;
  @ApiProperty({ type: 'integer', minimum: 1 }) treeSize!: number;
  @ApiProperty({ pattern: SHA256_HEX_PATTERN, description: 'SHA-256(0x00 ‖ leaf entry) of the event (docs/audit.md).' }) leafHash!: string;
  @ApiProperty({ pattern: SHA256_HEX_PATTERN }) rootHash!: string;
  @ApiProperty({ type: [String], description: 'RFC 9162 §2.1.3 inclusion proof (audit path), hex, sibling first.' }) proof!: string[];
}

export class ConsistencyQueryDto {
  @IsString({ message: '$property: must be a single tree size' })
  @Matches(SIZE_PATTERN, { message: '$property: a tree size, a positive integer' })
  @ApiProperty({ type: 'string', pattern: SIZE_PATTERN.source, description: 'Size of the older head (the one you kept).', example: '100' })
  first!: string;

  @IsString({ message: '$property: must be a single tree size' })
  @Matches(SIZE_PATTERN, { message: '$property: a tree size, a positive integer' })
  @ApiProperty({ type: 'string', pattern: SIZE_PATTERN.source, description: 'Size of the newer head.', example: '250' })
  second!: string;
}

export class InclusionQueryDto {
  @IsString({ message: '$property: must be a single event id' })
  @Matches(UUID_PATTERN, { message: '$property: a lower-case UUID' })
  @ApiProperty({ type: 'string', pattern: UUID_PATTERN.source, description: 'The event to prove.', example: '3f2b8c1e-0d4a-5b6c-8d7e-9f0a1b2c3d4e' })
  eventId!: string;

  @IsOptional()
  @IsString({ message: '$property: must be a single tree size' })
  @Matches(SIZE_PATTERN, { message: '$property: a tree size, a positive integer' })
  @ApiProperty({ type: 'string', required: false, pattern: SIZE_PATTERN.source, description: 'Size of the head to prove against (default: the latest head).', example: '250' })
  treeSize?: string;
}

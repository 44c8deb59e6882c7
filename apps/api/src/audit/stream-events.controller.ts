import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { expectedEventHashOf, type LedgerRuntime } from '@rsi/ledger';
import type { RecordedEvent } from '@rsi/event-store';
import { LEDGER_RUNTIME } from '../api-settings';
import { validationFailed } from '../http/api-error';
import { API_KEY_SECURITY, ErrorResponses, IdentifierPathParameter, READ_ERROR_STATUSES } from '../http/openapi-document';
import { identifierParameter } from '../http/path-parameters';

export const STREAM_EVENTS_PAGE_MAXIMUM = 500;
const STREAM_EVENTS_PAGE_DEFAULT = 100;

export class StreamEventsQueryDto {
  @IsOptional()
  @Matches(/^(0|[1-9][0-9]{0,18})$/, { message: '$property: a stream version (a decimal integer)' })
  @ApiPropertyOptional({ description: 'First stream version to return (default 0).', example: '0' })
  fromVersion?: string;

  @IsOptional()
  @Matches(/^[1-9][0-9]{0,2}$/, { message: `$property: an integer from 1 to ${STREAM_EVENTS_PAGE_MAXIMUM}` })
  @ApiPropertyOptional({ description: `Events per page, 1 to ${STREAM_EVENTS_PAGE_MAXIMUM} (default ${STREAM_EVENTS_PAGE_DEFAULT}).`, example: '100' })
  limit?: string;
}

export class StreamEventDto {
  @ApiProperty({ example: '0' }) streamVersion!: string;
  @ApiProperty() eventId!: string;
  @ApiProperty({ example: 'RevenueRecorded' }) type!: string;
  @ApiProperty({ description: 'Booking time.' }) recordedAt!: string;
  @ApiProperty() actor!: string;
  @ApiProperty({ description: 'Stored SHA-256 hex of the event hash body.' }) eventHash!: string;
  @ApiProperty({ description: 'Stored hash of the previous event of the stream (64 zeros for the first).' }) previousEventHash!: string;
  @ApiProperty({ description: 'The event hash recomputed from the stored event equals the stored one.' }) hashHolds!: boolean;
}

export class StreamEventsDto {
  @ApiProperty() streamName!: string;
  @ApiProperty({ type: [StreamEventDto] }) events!: StreamEventDto[];
  @ApiProperty({ nullable: true, type: String, description: 'fromVersion of the next page, null at the end of the stream.' }) nextFromVersion!: string | null;
}

function eventOf(recorded: RecordedEvent): StreamEventDto {
  let hashHolds = false;
  try {
    hashHolds = expectedEventHashOf(recorded, recorded.metadata.previousEventHash) === recorded.metadata.eventHash;
  } catch {
    hashHolds = false;
  }
  return {
    streamVersion: recorded.streamVersion.toString(), eventId: recorded.eventId, type: recorded.type, recordedAt: recorded.metadata.recordedAt,
    actor: recorded.metadata.actor, eventHash: recorded.metadata.eventHash, previousEventHash: recorded.metadata.previousEventHash, hashHolds,
  };
}

/**
 * The auditor's event browser: the events of one stream in order with their stored hashes,
 * each hash recomputed, so the chain can be read link by link (the whole-ledger check is
 * `rsi-ledger verify`). Event data is not returned: the hashes and the chain are what an
 * auditor checks here, and a stream may hold personal data.
 */
@ApiTags('audit')
@ApiSecurity(API_KEY_SECURITY)
@Controller('v1/streams')
export class StreamEventsController {
  constructor(@Inject(LEDGER_RUNTIME) private readonly runtime: LedgerRuntime) {}

  @Get(':streamName/events')
  @ApiOperation({ summary: "A stream's events in order, with their hashes and the chain (auditors)" })
  @ApiOkResponse({ type: StreamEventsDto })
  @IdentifierPathParameter('streamName', 'A stream name, e.g. developer-dev_1, seals.')
  @ErrorResponses(READ_ERROR_STATUSES, { 400: 'validation_failed (streamName, fromVersion, limit).' })
  async events(@Param('streamName') streamNameParameter: string, @Query() query: StreamEventsQueryDto): Promise<StreamEventsDto> {
    const streamName = identifierParameter(streamNameParameter, 'streamName');
    const limit = query.limit === undefined ? STREAM_EVENTS_PAGE_DEFAULT : Number(query.limit);
    if (limit > STREAM_EVENTS_PAGE_MAXIMUM) throw validationFailed(`limit: an integer from 1 to ${STREAM_EVENTS_PAGE_MAXIMUM}`, 'limit');
    const page = await this.runtime.store.readStream(streamName, { fromStreamVersion: BigInt(query.fromVersion ?? '0'), maxCount: limit });
    const events = page.events.map(eventOf);
    const last = page.events[page.events.length - 1];
    return { streamName, events, nextFromVersion: page.events.length === limit && last ? (last.streamVersion + 1n).toString() : null };
  }
}

import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { LedgerRuntime } from '@rsi/ledger';
import { LogProofUnavailableError, TransparencyLog } from '@rsi/ledger';
import { ApiError } from '../http/api-error';
import { LEDGER_RUNTIME } from '../api-settings';
import { API_KEY_SECURITY, ErrorResponses, READ_ERROR_STATUSES } from '../http/openapi-document';
import { ConsistencyProofDto, ConsistencyQueryDto, InclusionProofDto, InclusionQueryDto, TreeHeadDto } from './tree-heads.dto';

/**
 * The transparency log's signed tree heads and proofs (docs/audit.md, "Tree heads and
 * consistency proofs"). Reads only: heads are issued by `serve`'s schedule and
 * `rsi-ledger tree-head issue`. Any valid API key may read them.
 */
@ApiTags('tree heads')
@ApiSecurity(API_KEY_SECURITY)
@Controller('v1/tree-heads')
export class TreeHeadsController {
  private readonly log: TransparencyLog;

  constructor(@Inject(LEDGER_RUNTIME) runtime: LedgerRuntime) {
    this.log = new TransparencyLog(runtime.connection.pool, runtime.store);
  }

  @Get('latest')
  @ApiOperation({ summary: 'The latest signed tree head of the log of all events' })
  @ApiOkResponse({ type: TreeHeadDto })
  @ErrorResponses(READ_ERROR_STATUSES, { 404: 'no_tree_head: none has been issued yet.' })
  async latest(): Promise<TreeHeadDto> {
    const head = await this.log.latestTreeHead();
    if (head === null) throw new ApiError(404, 'no_tree_head', 'no tree head has been issued yet');
    return head;
  }

  @Get('consistency')
  @ApiOperation({ summary: 'Consistency proof (RFC 9162 §2.1.4) from the log of `first` events to the log of `second` events' })
  @ApiOkResponse({ type: ConsistencyProofDto })
  @ErrorResponses(READ_ERROR_STATUSES, { 400: 'validation_failed (first, second).', 404: 'proof_unavailable: a size beyond the log, or first > second.' })
  async consistency(@Query() query: ConsistencyQueryDto): Promise<ConsistencyProofDto> {
    return proofOrNotFound(() => this.log.consistencyProof(Number(query.first), Number(query.second)));
  }

  @Get('inclusion')
  @ApiOperation({ summary: "Inclusion proof (RFC 9162 §2.1.3) of an event's leaf in the tree of `treeSize` events (default the latest head)" })
  @ApiOkResponse({ type: InclusionProofDto })
  @ErrorResponses(READ_ERROR_STATUSES, { 400: 'validation_failed (eventId, treeSize).', 404: 'no_tree_head, or proof_unavailable: the event is not in that tree.' })
  async inclusion(@Query() query: InclusionQueryDto): Promise<InclusionProofDto> {
    let treeSize: number;
    if (query.treeSize === undefined) {
      const head = await this.log.latestTreeHead();
      if (head === null) throw new ApiError(404, 'no_tree_head', 'no tree head has been issued yet');
      treeSize = head.treeSize;
    } else {
      treeSize = Number(query.treeSize);
    }
    return proofOrNotFound(() => this.log.inclusionProof(query.eventId, treeSize));
  }
}

async function proofOrNotFound<T>(draw: () => Promise<T>): Promise<T> {
  try {
    return await draw();
  } catch (error) {
    if (error instanceof LogProofUnavailableError) throw new ApiError(404, error.code, error.message);
    throw error;
  }
}

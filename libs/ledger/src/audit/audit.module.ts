import { Injectable, Module } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import { LedgerRuntime } from '../core/ledger-core.module';
import { PersonalDataKeys } from '@rsi/database';
import { buildDeveloperStatement, type DeveloperStatement } from './developer-statement';
import { verifyLedger, type VerifyReport } from './ledger-verify';
import { sealPeriod, type SealOutcome } from './period-seal.service';
import { whatIfContract, type WhatIfReport } from './what-if';

/**
 * Statements, seals, verification and what-if over this context's event store and read
 * models. The clock comes in from the caller (a command's booking time, `nowMilliseconds`).
 */
@Injectable()
export class AuditService {
  constructor(private readonly runtime: LedgerRuntime) {}

  verify(nowMilliseconds: () => number): Promise<VerifyReport> {
    return verifyLedger(this.runtime, nowMilliseconds);
  }

  statement(options: { developerId: string; period: string }): Promise<DeveloperStatement> {
    return buildDeveloperStatement(this.runtime.store, new PersonalDataKeys(this.runtime.connection.pool), options);
  }

  seal(options: { period: string; sealedAt?: string; signingKey: () => KeyObject; actor: string }): Promise<SealOutcome> {
    return sealPeriod(this.runtime.store, options);
  }

  whatIf(options: { appId: string; developerId: string; contractTerms: unknown; from?: string; to?: string }): Promise<WhatIfReport> {
    return whatIfContract(this.runtime.store, options);
  }
}

/** Audit: statements, period seals, verify, replay and what-if (replay is in projection-replay.ts, over the projector's handlers). */
@Module({
  providers: [AuditService],
  exports: [AuditService],
})
export class AuditModule {}

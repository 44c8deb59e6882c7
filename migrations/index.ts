import { EventStore1700000000001 } from './0001-event-store.migration';
import { ReadModels1700000000002 } from './0002-read-models.migration';
import { IdempotencyKeys1700000000003 } from './0003-idempotency-keys.migration';
import { UnitEconomics1700000000004 } from './0004-unit-economics.migration';
import { CompactRows1700000000005 } from './0005-compact-rows.migration';
import { ProjectionFailures1700000000006 } from './0006-projection-failures.migration';
import { TransparencyLog1700000000007 } from './0007-transparency-log.migration';
import { PersonalDataKeys1700000000008 } from './0008-personal-data-keys.migration';
import { LedgerClock1700000000009 } from './0009-ledger-clock.migration';
import { ApiKeys1700000000010 } from './0010-api-keys.migration';
import { WriterSignatures1700000000011 } from './0011-writer-signatures.migration';
import { Disputes1700000000012 } from './0012-disputes.migration';
import { PayoutRuns1700000000013 } from './0013-payout-runs.migration';
import { RollingReserve1700000000014 } from './0014-rolling-reserve.migration';
import { PayoutConversions1700000000015 } from './0015-payout-conversions.migration';
import { Webhooks1700000000016 } from './0016-webhooks.migration';
import { RevenueCategories1700000000017 } from './0017-revenue-categories.migration';
import { ReceiptHistoryIndex1700000000019 } from './0019-receipt-history-index.migration';

/**
 * Every migration, in the order it runs. Append new ones at the end (`0003-…`, …) with a
 * class name ending in a larger timestamp; never reorder or edit an applied one.
 */
export const allMigrations = [EventStore1700000000001, ReadModels1700000000002, IdempotencyKeys1700000000003, UnitEconomics1700000000004, CompactRows1700000000005,
  ProjectionFailures1700000000006, TransparencyLog1700000000007, PersonalDataKeys1700000000008, LedgerClock1700000000009,
  ApiKeys1700000000010, WriterSignatures1700000000011, Disputes1700000000012, PayoutRuns1700000000013,
  RollingReserve1700000000014, PayoutConversions1700000000015, Webhooks1700000000016, RevenueCategories1700000000017,
  ReceiptHistoryIndex1700000000019];

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The history of one receipt, read from the events: the write pipeline holds a bounded
 * working set of receipts per developer stream (so that an import's memory does not grow
 * with the ledger), and restores a receipt a command names from its stored events — its
 * `RevenueRecorded` by event id (the unique index of 0001), its refunds and disputes through
 * this index. Partial: only the event types that name a receipt they adjust, so that the
 * receipts themselves (nearly every row of an import) cost the index nothing.
 */
export class ReceiptHistoryIndex1700000000019 implements MigrationInterface {
  name = 'ReceiptHistoryIndex1700000000019';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE INDEX events_receipt_adjustments ON events (stream_name, (data->>'receiptId'))
        WHERE type IN ('RevenueRefunded', 'DisputeOpened', 'DisputeResolved')
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX events_receipt_adjustments');
  }
}

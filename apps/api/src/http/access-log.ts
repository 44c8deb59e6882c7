import { Logger } from '@nestjs/common';
import type { Pool } from 'pg';

export type AccessLogEntry = {
  requestedAt: Date; keyId: string; role: string; developerId: string | null; method: string; route: string; statusCode: number; address: string | null;
};

/** Entries written together; a burst of requests costs one INSERT per batch, not one each. */
const FLUSH_ENTRIES_MAXIMUM = 500;
const FLUSH_INTERVAL_MILLISECONDS = 200;
/** Entries kept while the database is unavailable; beyond, the oldest are dropped (and said so). */
const PENDING_ENTRIES_MAXIMUM = 50_000;

/**
 * The access log (`api_access_log`, migration 0010): every authenticated request, its key,
 * role, route (as the route table names it), status and time. Entries are written in small
 * batches shortly after the response; `flush` writes what is pending (on close, in tests).
 */
export class AccessLog {
  private pending: AccessLogEntry[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private readonly logger = new Logger('AccessLog');

  constructor(private readonly pool: Pool) {}

  record(entry: AccessLogEntry): void {
    if (this.pending.length >= PENDING_ENTRIES_MAXIMUM) {
      this.pending.shift();
      this.logger.warn('the access log could not be written for a while: its oldest pending entry was dropped');
    }
    this.pending.push(entry);
    if (this.pending.length >= FLUSH_ENTRIES_MAXIMUM) void this.flush();
    else if (this.timer === null) {
      this.timer = setTimeout(() => { this.timer = null; void this.flush(); }, FLUSH_INTERVAL_MILLISECONDS);
      this.timer.unref();
    }
  }

  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }

  private async write(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.slice(0, FLUSH_ENTRIES_MAXIMUM);
      const values: unknown[] = [];
      const rows = batch.map((entry, index) => {
        values.push(entry.requestedAt, entry.keyId, entry.role, entry.developerId, entry.method, entry.route, entry.statusCode, entry.address);
        const base = index * 8;
        return `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, $${base + 6}, $${base + 7}, $${base + 8})`;
      });
      try {
        await this.pool.query(`INSERT INTO api_access_log (requested_at, key_id, role, developer_id, method, route, status_code, address) VALUES ${rows.join(', ')}`, values);
        this.pending.splice(0, batch.length);
      } catch (error) {
        // Kept for the next flush: an outage must not lose the log silently.
        this.logger.warn(`the access log could not be written (${batch.length} entries kept): ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
    }
  }
}

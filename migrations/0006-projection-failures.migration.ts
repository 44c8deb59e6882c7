import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Events a projection could not apply (libs/projections/src/projector.ts, issue #10).
 *
 * A row names the event (global position, stream, version, id, type), the projection and
 * the error. While a row is open (`resolution IS NULL`) the projection holds back that
 * event and every later event of its stream; every other stream keeps being projected.
 * An operator resolves it: `retried` (applied after a fix, or failing again as a new
 * attempt on the same row) or `skipped` (an explicit decision, with who, when and why,
 * that `verify` reports as a finding for ever). Rows are never deleted: they are the record
 * of what the read models do not contain and why.
 *
 * At most one open row per projection and stream: the first event that failed holds the
 * stream, the later ones wait behind it.
 */
export class ProjectionFailures1700000000006 implements MigrationInterface {
  name = 'ProjectionFailures1700000000006';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE projection_failures (
        failure_id bigserial PRIMARY KEY,
        projection_name text NOT NULL,
        commit_position numeric(20,0) NOT NULL,
        prepare_position numeric(20,0) NOT NULL,
        event_id uuid NOT NULL,
        stream_name text NOT NULL,
        stream_version bigint NOT NULL,
        event_type text NOT NULL,
        error_message text NOT NULL,
        attempts integer NOT NULL DEFAULT 1,
        first_failed_at timestamptz NOT NULL DEFAULT now(),
        last_failed_at timestamptz NOT NULL DEFAULT now(),
        resolution text,
        resolved_by text,
        resolved_at timestamptz,
        resolution_reason text,
        CONSTRAINT projection_failures_error_message_length CHECK (length(error_message) BETWEEN 1 AND 2000),
        CONSTRAINT projection_failures_attempts_positive CHECK (attempts >= 1),
        CONSTRAINT projection_failures_resolution_known CHECK (resolution IS NULL OR resolution IN ('retried', 'skipped')),
        CONSTRAINT projection_failures_resolution_complete CHECK (
          (resolution IS NULL AND resolved_by IS NULL AND resolved_at IS NULL AND resolution_reason IS NULL)
          OR (resolution IS NOT NULL AND resolved_by IS NOT NULL AND resolved_at IS NOT NULL)),
        CONSTRAINT projection_failures_skip_has_reason CHECK (
          resolution IS DISTINCT FROM 'skipped' OR length(btrim(coalesce(resolution_reason, ''))) BETWEEN 1 AND 1000)
      );
      CREATE UNIQUE INDEX projection_failures_one_open_per_stream
        ON projection_failures (projection_name, stream_name) WHERE resolution IS NULL;
      -- A skipped event is skipped again by every rebuild: looked up by position.
      CREATE INDEX projection_failures_skipped_by_position
        ON projection_failures (commit_position, prepare_position) WHERE resolution = 'skipped';
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE projection_failures');
  }
}

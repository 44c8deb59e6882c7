import type { Pool } from 'pg';

/**
 * A test-only trigger that makes PostgreSQL itself refuse some events, by what their data
 * holds, so that tests meet real database failures (on the INSERT and on the COPY path: a
 * row trigger fires for both):
 * - `poison-` → SQLSTATE 22023 (invalid_parameter_value, a data exception: class 22);
 * - `explode-` → SQLSTATE P0001 (raise_exception: no data class, an internal error);
 * - `shutdown-` → SQLSTATE 57P01 (admin_shutdown: the database being unavailable).
 */
export async function installPoisonTrigger(pool: Pool): Promise<void> {
  await pool.query(`
    CREATE OR REPLACE FUNCTION test_refuse_poisoned_event() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.data::text LIKE '%poison-%' THEN
        RAISE EXCEPTION 'test trigger: poisoned event %', NEW.event_id USING ERRCODE = '22023';
      ELSIF NEW.data::text LIKE '%explode-%' THEN
        RAISE EXCEPTION 'test trigger: exploding event %', NEW.event_id USING ERRCODE = 'P0001';
      ELSIF NEW.data::text LIKE '%shutdown-%' THEN
        RAISE EXCEPTION 'test trigger: shutdown on event %', NEW.event_id USING ERRCODE = '57P01';
      END IF;
      RETURN NEW;
    END $$`);
  await pool.query(`
    CREATE TRIGGER test_refuse_poisoned_event BEFORE INSERT ON events
      FOR EACH ROW EXECUTE FUNCTION test_refuse_poisoned_event()`);
}

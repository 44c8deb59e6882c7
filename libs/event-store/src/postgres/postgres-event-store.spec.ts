import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';
import { describeEventStoreConformance } from '../conformance/event-store.conformance';
import { PostgresEventStore } from './postgres-event-store';

// With DATABASE_URL: a fresh database on that server; without: the embedded PGlite.
describeEventStoreConformance(process.env.DATABASE_URL ? 'PostgreSQL (server)' : 'PostgreSQL (embedded PGlite)', async () => {
  const database: TestDatabase = await createTestDatabase();
  const store = new PostgresEventStore(database.connection.pool);
  return {
    store,
    async cleanup() {
      await store.close();
      await database.drop();
    },
  };
});

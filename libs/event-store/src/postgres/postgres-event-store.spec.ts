import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';
import { describeEventStoreConformance } from '../conformance/event-store.conformance';
import { PostgresEventStore } from './postgres-event-store';

// With DATABASE_URL: a fresh database on that server per suite, once for each insert path
// (COPY is what the program runs on a server; INSERT is what it runs embedded, tested here
// on the server as well). Without: the embedded PGlite, which only has the INSERT path.
if (process.env.DATABASE_URL) {
  describeEventStoreConformance('PostgreSQL (server, COPY)', () => createStore({ copyFromStdin: true }));
  describeEventStoreConformance('PostgreSQL (server, INSERT)', () => createStore({ copyFromStdin: false }));
} else {
  describeEventStoreConformance('PostgreSQL (embedded PGlite)', () => createStore({ copyFromStdin: false }));
}

async function createStore(options: { copyFromStdin: boolean }) {
  const database: TestDatabase = await createTestDatabase();
  const store = new PostgresEventStore(database.connection.pool, options);
  return {
    store,
    async cleanup() {
      await store.close();
      await database.drop();
    },
  };
}

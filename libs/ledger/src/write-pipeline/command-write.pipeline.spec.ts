import { CommandDirectory } from '../developer-ledger';
import { PersonalDataKeys } from '@rsi/database';
import { ConsumptionCommandService } from '../consumption';
import { LedgerCommandService } from '../developer-ledger';
import { openTestLedger, type TestLedger } from '../../../../test/support/test-ledger';

const recordedAt = '2026-11-21T00:00:00.000Z';
const setupContext = { actor: 'test:setup', recordedAt };
const contract = {
  currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ rate: '15%' }], window: 'lifetime', scope: 'app' }, holdDays: 14, minimumPayout: '50.00',
};
const meters = { 'tokens.input': { listPrice: '0.0000005', unitCost: '0.0000002' } };

function record(recordId: string, occurredAt: string) {
  return { type: 'RecordConsumption', data: { recordId, appId: 'pipe-app', meter: 'tokens.input', quantity: '1000', occurredAt } };
}

/** The write pipeline as the consumption service uses it: group commit, packed records, append order, hash chain. */
describe('CommandWritePipeline (consumption)', () => {
  let ledger: TestLedger;
  let consumption: ConsumptionCommandService;

  beforeAll(async () => {
    ledger = await openTestLedger();
    const { runtime } = ledger;
    const catchUp = () => runtime.projector.catchUp();
    const developers = new LedgerCommandService(runtime.store, new CommandDirectory(runtime.connection.pool), catchUp, new PersonalDataKeys(runtime.connection.pool));
    const setup = await developers.executeBatch([
      { type: 'RegisterDeveloper', data: { developerId: 'pipe-dev', name: 'Pipe Developer', country: 'NG' } },
      { type: 'RegisterApp', data: { appId: 'pipe-app', developerId: 'pipe-dev', name: 'App', contract } },
    ], setupContext);
    expect(setup.map((outcome) => outcome.status)).toEqual(['recorded', 'recorded']);
    consumption = new ConsumptionCommandService(runtime.store, runtime.connection.pool, catchUp);
    const published = await consumption.executeBatch([
      { type: 'PublishPriceBook', data: { priceBookId: 'pipe-usd-1', effectiveFrom: '2026-01-01T00:00:00Z', currency: 'USD', meters } },
    ], setupContext);
    expect(published.map((outcome) => outcome.status)).toEqual(['recorded']);
  });

  afterAll(async () => { await ledger?.cleanup(); });

  it('writes concurrent callers in one group commit, each event under its own caller', async () => {
    // Called without awaiting in between: all three wait for the same group commit.
    const outcomes = await Promise.all([
      consumption.execute(record('g-1', '2026-02-01T00:00:00Z'), { actor: 'caller-a', recordedAt }),
      consumption.execute(record('g-2', '2026-02-01T00:01:00Z'), { actor: 'caller-a', recordedAt }),
      consumption.execute(record('g-3', '2026-02-01T00:02:00Z'), { actor: 'caller-b', recordedAt }),
    ]);
    expect(outcomes.map((outcome) => [outcome.status, outcome.commandId])).toEqual([
      ['recorded', 'RecordConsumption:pipe-app:g-1'],
      ['recorded', 'RecordConsumption:pipe-app:g-2'],
      ['recorded', 'RecordConsumption:pipe-app:g-3'],
    ]);
    const stream = await ledger.runtime.store.readStream('consumption-pipe-app');
    expect(stream.events.map((event) => ({
      actor: event.metadata.actor,
      commandId: event.metadata.commandId,
      recordIds: (event.data.records as { recordId: string }[]).map((entry) => entry.recordId),
    }))).toEqual([
      { actor: 'caller-a', commandId: 'RecordConsumption:pipe-app:g-1', recordIds: ['g-1', 'g-2'] },
      { actor: 'caller-b', commandId: 'RecordConsumption:pipe-app:g-3', recordIds: ['g-3'] },
    ]);
    // One transaction, one hash chain.
    expect(stream.events[0]!.globalPosition.commit).toBe(stream.events[1]!.globalPosition.commit);
    expect(stream.events[1]!.metadata.previousEventHash).toBe(stream.events[0]!.metadata.eventHash);
    expect(stream.events.map((event) => event.streamVersion)).toEqual([0n, 1n]);
  });

  it('appends the price books a record was priced by before the record', async () => {
    const outcomes = await consumption.executeBatch([
      record('o-1', '2026-03-01T00:00:00Z'),
      { type: 'PublishPriceBook', data: { priceBookId: 'pipe-usd-2', effectiveFrom: '2026-04-01T00:00:00Z', currency: 'USD', meters } },
      record('o-2', '2026-04-02T00:00:00Z'),
    ], setupContext);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['recorded', 'recorded', 'recorded']);
    const priceBooks = await ledger.runtime.store.readStream('price-books-USD');
    const records = await ledger.runtime.store.readStream('consumption-pipe-app');
    const published = priceBooks.events[priceBooks.events.length - 1]!;
    const packed = records.events[records.events.length - 1]!;
    expect(published.data.priceBookId).toBe('pipe-usd-2');
    expect((packed.data.records as { recordId: string; priceBookId: string }[]).map((entry) => [entry.recordId, entry.priceBookId]))
      .toEqual([['o-1', 'pipe-usd-1'], ['o-2', 'pipe-usd-2']]);
    // Same transaction; the price book first, so a reader in global order knows it before the record priced by it.
    expect(published.globalPosition.commit).toBe(packed.globalPosition.commit);
    expect(published.globalPosition.prepare < packed.globalPosition.prepare).toBe(true);
  });
});

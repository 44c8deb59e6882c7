export { SAMPLE_PRICE_BOOK, writeSampleConsumptionFile } from './sample-consumption-file';
export { sampleContract, writeSampleLedgerFile } from './sample-ledger-file';
export { seededRandom } from './seeded-random';

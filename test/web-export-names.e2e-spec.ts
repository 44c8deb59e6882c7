import { EXPORT_NAMES } from '../apps/web/src/export-names';
import { openTestLedger, type TestLedger } from './support/test-ledger';

// The finance dashboard's list of exports is written into the browser bundle, which cannot
// import the server's: it once offered an export named "receipts" that never existed.
describe('the finance dashboard offers exactly the exports the server has', () => {
  let ledger: TestLedger;
  beforeAll(async () => { ledger = await openTestLedger(); });
  afterAll(async () => { await ledger?.cleanup(); });

  it('lists every export of the ledger and its modules, and no other', () => {
    expect([...EXPORT_NAMES].sort()).toEqual([...ledger.runtime.exports.names()].sort());
  });
});

/** The domain's test helpers for tests outside the library: not part of the built ledger. */
export { decideAsLedger } from './developer-decider.support';

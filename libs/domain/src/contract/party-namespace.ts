/**
 * The namespace of ledger accounts. Every split line and every posting names an account:
 * `platform`, `developer:<id>`, a contract's carve-out parties, and the system accounts the
 * postings use (`revenue:clearing`, `payouts:in-flight`, `payouts:settled`). A carve-out
 * party has the form `<kind>:<id>`; the kinds below are the ledger's own, so no contract
 * can name an account that already means something else (a carve-out to `payouts:settled`
 * would post receipts into the settled-payouts account and make it lie).
 */

export const PLATFORM_PARTY = 'platform';
/** Receives receipts (debited) before they are split among the parties. */
export const REVENUE_CLEARING_ACCOUNT = 'revenue:clearing';
/** Payouts requested and neither settled nor failed. */
export const PAYOUTS_IN_FLIGHT_ACCOUNT = 'payouts:in-flight';
/** Payouts settled: money that has left the platform. */
export const PAYOUTS_SETTLED_ACCOUNT = 'payouts:settled';

/** What open disputes took from the parties of their receipts, until they are won (given back) or lost (to the customer). */
export const DISPUTES_HELD_ACCOUNT = 'system:disputes-held';
/** Dispute fees charged to their bearer, owed to the payment provider. */
export const DISPUTE_FEES_ACCOUNT = 'system:dispute-fees';

export const SYSTEM_ACCOUNTS: readonly string[] = [
  REVENUE_CLEARING_ACCOUNT, PAYOUTS_IN_FLIGHT_ACCOUNT, PAYOUTS_SETTLED_ACCOUNT, DISPUTES_HELD_ACCOUNT, DISPUTE_FEES_ACCOUNT,
];

/**
 * Party kinds a carve-out may not use: the platform, developers, the kinds of the system
 * accounts, and `system` for accounts the ledger may add later.
 */
export const RESERVED_PARTY_KINDS: readonly string[] = ['platform', 'developer', 'revenue', 'payouts', 'system'];

/** The kind of a party: the part before the first `:`, or the whole name when it has none. */
export function partyKind(party: string): string {
  const colon = party.indexOf(':');
  return colon < 0 ? party : party.slice(0, colon);
}

/** True when a party lies in a namespace the ledger keeps for its own accounts. */
export function isReservedParty(party: string): boolean {
  return RESERVED_PARTY_KINDS.includes(partyKind(party));
}

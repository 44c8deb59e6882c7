/**
 * Test support (used by specs only): fixtures and a given/when/then helper for the
 * developer decider.
 */
import { DomainError } from '../domain.errors';
import { DeveloperCommand } from '../ledger.commands';
import { DeveloperEvent } from '../ledger.events';
import { decideDeveloper } from '../developer/developer.decider';
import { DeveloperState, developerStateFrom, evolveDeveloper } from '../developer/developer.state';
import { PERSONAL_DATA_SCHEME, type ProtectedText } from '../developer/personal-data';
import { sha256Hex } from '../contract/canonical-json';
import { CommandMetadata } from '../ledger.commands';

export const DEVELOPER_ID = 'dev-1';
/**
 * The booking time the specs decide at unless they say otherwise: after every business time
 * of the fixtures (2026), as when a year of history is imported at its end.
 */
export const BOOKED_AT = '2026-12-31T00:00:00.000Z';
export const DEVELOPER_PARTY = `developer:${DEVELOPER_ID}`;

type RawObject = Record<string, unknown>;

/** Default USD contract: 0% up to 1000.00, 15% above, lifetime, app scope, 14 hold days. */
export function contractTerms(overrides: RawObject = {}): RawObject {
  return {
    currency: 'USD',
    effectiveFrom: '2026-01-01T00:00:00Z',
    platformShare: {
      tiers: [{ upTo: '1000.00', rate: '0%' }, { rate: '15%' }],
      window: 'lifetime',
      scope: 'app',
    },
    holdDays: 14,
    minimumPayout: '50.00',
    ...overrides,
  };
}

export function platformShare(tiers: RawObject[], window = 'lifetime', scope = 'app'): RawObject {
  return { tiers, window, scope };
}

export const registerDeveloper = (developerId = DEVELOPER_ID): DeveloperCommand => ({
  type: 'RegisterDeveloper', data: { developerId, name: 'Ada Labs', country: 'NG', incomeGroup: 'lower-middle' },
});

export const registerApp = (appId: string, contract: unknown = contractTerms(), developerId = DEVELOPER_ID): DeveloperCommand => ({
  type: 'RegisterApp', data: { appId, developerId, name: `App ${appId}`, contract },
});

export const amendContract = (appId: string, contract: unknown): DeveloperCommand => ({
  type: 'AmendContract', data: { appId, contract },
});

/** `category` is left out of the command when not given, as a client that never heard of categories sends it. */
export const recordRevenue = (receiptId: string, appId: string, amount: string, occurredAt: string, currency = 'USD', category?: unknown): DeveloperCommand => ({
  type: 'RecordRevenue', data: { receiptId, appId, amount, currency, occurredAt, ...(category === undefined ? {} : { category: category as string }) },
});

export const refundRevenue = (refundId: string, receiptId: string, amount: string, occurredAt: string): DeveloperCommand => ({
  type: 'RefundRevenue', data: { refundId, receiptId, amount, occurredAt },
});

export const requestPayout = (payoutId: string, amount: string, requestedAt: string, currency = 'USD', developerId = DEVELOPER_ID): DeveloperCommand => ({
  type: 'RequestPayout', data: { payoutId, developerId, currency, amount, requestedAt },
});

export const settlePayout = (payoutId: string, settledAt: string, reference = 'bank-ref-1'): DeveloperCommand => ({
  type: 'SettlePayout', data: { payoutId, settledAt, reference },
});

export const openDispute = (disputeId: string, receiptId: string, amount: string, openedAt: string, fee = '15.00'): DeveloperCommand => ({
  type: 'OpenDispute', data: { disputeId, receiptId, amount, fee, openedAt },
});

export const resolveDispute = (disputeId: string, outcome: 'won' | 'lost', resolvedAt: string): DeveloperCommand => ({
  type: 'ResolveDispute', data: { disputeId, outcome, resolvedAt },
});

export const failPayout = (payoutId: string, failedAt: string, reason = 'account closed'): DeveloperCommand => ({
  type: 'FailPayout', data: { payoutId, failedAt, reason },
});

/**
 * A stand-in for the application layer's encryption (libs/database personal-data-cipher.ts):
 * deterministic, and enough for the domain, which never reads a protected text's content.
 * The commitment is the same for the same name, like the keyed commitment under one key.
 */
export function protectedNameFixture(name: string): ProtectedText {
  return { scheme: PERSONAL_DATA_SCHEME, ciphertext: sha256Hex(`ciphertext\u0000${name}`), commitment: sha256Hex(name) };
}

/**
 * Decides as the ledger does: a registration reaches the domain with its name protected
 * (unless a spec set `nameProtection` itself, or sent a name that is not text).
 */
export function decideAsLedger(command: DeveloperCommand, state: DeveloperState, metadata: CommandMetadata): DeveloperEvent[] {
  if (command.type === 'RegisterDeveloper' && command.data.nameProtection === undefined && typeof command.data.name === 'string') {
    return decideDeveloper({ type: command.type, data: { ...command.data, nameProtection: { kind: 'protected', name: protectedNameFixture(command.data.name) } } }, state, metadata);
  }
  return decideDeveloper(command, state, metadata);
}

/**
 * Decides and applies commands in order, like the application layer does, and returns every
 * event and the final state. A refused command throws.
 */
export function run(commands: DeveloperCommand[], state: DeveloperState = developerStateFrom([]), bookedAt = BOOKED_AT): { events: DeveloperEvent[]; state: DeveloperState } {
  const events: DeveloperEvent[] = [];
  for (const command of commands) {
    for (const event of decideAsLedger(command, state, { bookedAt })) {
      events.push(event);
      evolveDeveloper(state, event);
    }
  }
  return { events, state };
}

/** Events produced by running commands from an empty stream (for `given`). */
export function history(commands: DeveloperCommand[]): DeveloperEvent[] {
  return run(commands).events;
}

function captureError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

export function given(events: DeveloperEvent[]) {
  return {
    /** Decides at `bookedAt` (the booking time), BOOKED_AT unless given. */
    when(command: DeveloperCommand, bookedAt = BOOKED_AT) {
      const decide = () => decideAsLedger(command, developerStateFrom(events), { bookedAt });
      return {
        then(expected: DeveloperEvent[]): void {
          expect(decide()).toEqual(expected);
        },
        thenEvents(): DeveloperEvent[] {
          return decide();
        },
        thenRefused(code: string, kind?: DomainError['kind'], field?: string): void {
          const error = captureError(decide);
          expect(error).toBeInstanceOf(DomainError);
          const domainError = error as DomainError;
          expect(domainError.code).toBe(code);
          if (kind !== undefined) expect(domainError.kind).toBe(kind);
          if (field !== undefined) expect(domainError.field).toBe(field);
        },
      };
    },
  };
}

/** The amounts of lines as plain strings, for compact expectations: ["platform=0", ...]. */
export function lineSummary(lines: readonly { party: string; amountMinor: bigint }[]): string[] {
  return lines.map((line) => `${line.party}=${line.amountMinor}`);
}

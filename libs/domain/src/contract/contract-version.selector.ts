/**
 * Contract versions: the immutable records of `AppRegistered` / `ContractAmended`, and the
 * selection of the version in effect at an instant.
 */
import { ReceiptBeforeFirstContractVersion, assertInvariant } from '../domain.errors';
import { ContractVersionRecord } from '../ledger.events';
import { parseInstant } from '../time/instant';
import { ContractTerms } from './contract-terms';
import { canonicalContractDocument, contractHash } from './contract-terms.parser';

/** Builds the record of version `version` of the terms. */
export function contractVersionRecord(version: number, terms: ContractTerms): ContractVersionRecord {
  assertInvariant(Number.isInteger(version) && version >= 1, 'contract versions start at 1');
  return {
    version,
    hash: contractHash(terms),
    effectiveFrom: terms.effectiveFrom,
    terms: canonicalContractDocument(terms),
  };
}

/**
 * The version whose effectiveFrom is the latest at or before `occurredAtIso`. `versions`
 * must be in version order (effectiveFrom strictly increasing, as amendments guarantee).
 * Before the first version: `ReceiptBeforeFirstContractVersion`.
 */
export function selectContractVersion<Version extends { effectiveFrom: string }>(versions: readonly Version[], occurredAtIso: string): Version {
  assertInvariant(versions.length > 0, 'an app has at least one contract version');
  const occurredAtEpochMilliseconds = parseInstant(occurredAtIso, 'occurredAt').epochMilliseconds;
  // Versions are few and receipts mostly recent, so search from the latest backwards.
  for (let index = versions.length - 1; index >= 0; index -= 1) {
    const version = versions[index]!;
    if (Date.parse(version.effectiveFrom) <= occurredAtEpochMilliseconds) return version;
  }
  throw new ReceiptBeforeFirstContractVersion(occurredAtIso, versions[0]!.effectiveFrom);
}

/** Fast variant for the decider, with precomputed epochs. Returns -1 before the first version. */
export function selectContractVersionIndex(effectiveFromEpochMilliseconds: readonly number[], occurredAtEpochMilliseconds: number): number {
  for (let index = effectiveFromEpochMilliseconds.length - 1; index >= 0; index -= 1) {
    if (effectiveFromEpochMilliseconds[index]! <= occurredAtEpochMilliseconds) return index;
  }
  return -1;
}

import { DomainError } from '../domain.errors';
import { contractTerms } from '../testing/developer-decider.support';
import { parseContractTerms } from './contract-terms.parser';
import { contractVersionRecord, selectContractVersion } from './contract-version.selector';

describe('selectContractVersion', () => {
  const versions = [
    contractVersionRecord(1, parseContractTerms(contractTerms({ effectiveFrom: '2026-01-01T00:00:00Z' }))),
    contractVersionRecord(2, parseContractTerms(contractTerms({ effectiveFrom: '2026-03-01T00:00:00Z', holdDays: 7 }))),
    contractVersionRecord(3, parseContractTerms(contractTerms({ effectiveFrom: '2026-06-01T00:00:00Z', holdDays: 0 }))),
  ];

  it.each([
    ['2026-01-01T00:00:00Z', 1],
    ['2026-02-28T23:59:59.999Z', 1],
    ['2026-03-01T00:00:00Z', 2],
    ['2026-05-31T00:00:00Z', 2],
    ['2026-06-01T00:00:00.000Z', 3],
    ['2030-01-01T00:00:00Z', 3],
  ])('at %s selects version %i', (occurredAt, version) => {
    expect(selectContractVersion(versions, occurredAt).version).toBe(version);
  });

  it('refuses an instant before the first version', () => {
    let caught: unknown;
    try {
      selectContractVersion(versions, '2025-12-31T23:59:59.999Z');
    } catch (error) {
      caught = error;
    }
    expect((caught as DomainError).code).toBe('receipt_before_first_contract_version');
  });
});

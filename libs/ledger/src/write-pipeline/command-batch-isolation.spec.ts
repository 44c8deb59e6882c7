import { StreamVersionConflictError } from '@rsi/event-store';
import {
  commandFailureCodeOf, CONFLICT_ATTEMPTS_MAXIMUM, executeIsolated, WriteContentionError, type IsolatedBatchPipeline,
} from './command-batch-isolation';
import type { CommandOutcome } from '../core/command-outcome';

describe('commandFailureCodeOf', () => {
  it.each([
    ['22P02', 'command_not_storable'], // invalid_text_representation (a lone surrogate in json)
    ['22P05', 'command_not_storable'], // untranslatable_character (NUL)
    ['22023', 'command_not_storable'],
    ['23514', 'command_not_storable'], // check_violation
    ['23505', 'command_not_storable'], // unique_violation other than a duplicate event id
    ['P0001', 'internal_error'],
    ['42P01', 'internal_error'], // undefined_table: the ledger's fault, not the data's
    ['XX000', 'internal_error'],
  ])('maps SQLSTATE %s to %s', (code, expected) => {
    expect(commandFailureCodeOf(Object.assign(new Error('database error'), { code }))).toBe(expected);
  });

  it('maps an error without a SQLSTATE to internal_error, also one whose code only looks like class 22', () => {
    expect(commandFailureCodeOf(new TypeError('bug'))).toBe('internal_error');
    expect(commandFailureCodeOf(Object.assign(new Error('node'), { code: '22' }))).toBe('internal_error');
    expect(commandFailureCodeOf(Object.assign(new Error('node'), { code: 'ERR_22XYZ' }))).toBe('internal_error');
    expect(commandFailureCodeOf(undefined)).toBe('internal_error');
  });
});

describe('executeIsolated and concurrent writers', () => {
  /** A pipeline whose appends meet a concurrent writer `conflicts` times, then commit. */
  function pipelineConflicting(conflicts: number): { pipeline: IsolatedBatchPipeline<string>; attempts(): number } {
    let attempts = 0;
    return {
      attempts: () => attempts,
      pipeline: {
        decideAndAppend: async (items) => {
          attempts += 1;
          if (attempts <= conflicts) throw new StreamVersionConflictError('developer-pat', BigInt(attempts), BigInt(attempts + 1));
          return items.map((item) => ({ status: 'recorded', commandId: item, events: [] }) as unknown as CommandOutcome);
        },
        commandIdOf: (item) => item,
        refuseDuplicateEventId: () => { throw new Error('not expected'); },
      },
    };
  }

  it('decides again after each conflict, with a back-off, until the batch commits', async () => {
    const { pipeline, attempts } = pipelineConflicting(CONFLICT_ATTEMPTS_MAXIMUM - 1);
    const outcomes = await executeIsolated(['RecordRevenue:r1', 'RecordRevenue:r2'], pipeline);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['recorded', 'recorded']);
    expect(attempts()).toBe(CONFLICT_ATTEMPTS_MAXIMUM);
  });

  it('gives up after the last attempt with WriteContentionError for the whole batch, blaming no command', async () => {
    const { pipeline, attempts } = pipelineConflicting(Number.MAX_SAFE_INTEGER);
    const error = await executeIsolated(['RecordRevenue:r1', 'RecordRevenue:r2'], pipeline).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WriteContentionError);
    expect((error as WriteContentionError).conflict).toBeInstanceOf(StreamVersionConflictError);
    // Not cut in halves: a conflict says nothing about any one command.
    expect(attempts()).toBe(CONFLICT_ATTEMPTS_MAXIMUM);
  });
});

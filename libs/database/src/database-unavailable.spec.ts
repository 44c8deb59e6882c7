import { DatabaseUnavailableError, isDatabaseUnavailableError } from './database-unavailable';

describe('isDatabaseUnavailableError', () => {
  it.each([
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })],
    ['admin shutdown', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['connection class 08', Object.assign(new Error('connection failure'), { code: '08006' })],
    ['pg terminated', new Error('Connection terminated unexpectedly')],
    ['wrapped', new DatabaseUnavailableError(new Error('x'))],
    ['aggregate', Object.assign(new Error('multi'), { errors: [Object.assign(new Error('a'), { code: 'ECONNREFUSED' })] })],
  ])('%s is an outage', (_name, error) => {
    expect(isDatabaseUnavailableError(error)).toBe(true);
  });

  it.each([
    ['unique violation', Object.assign(new Error('duplicate key'), { code: '23505' })],
    ['bad json', Object.assign(new Error('invalid input syntax for type json'), { code: '22P02' })],
    ['plain', new Error('something else')],
    ['not an error', 'text'],
  ])('%s is not an outage', (_name, error) => {
    expect(isDatabaseUnavailableError(error)).toBe(false);
  });
});

import { DatabaseUnavailableError, isDatabaseUnavailableError } from './database-unavailable';

describe('isDatabaseUnavailableError', () => {
  it.each([
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })],
    ['admin shutdown', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['connection class 08', Object.assign(new Error('connection failure'), { code: '08006' })],
    ['pg terminated', new Error('Connection terminated unexpectedly')],
    ['pg connect timeout', new Error('timeout expired')],
    ['pg-pool connect timeout', new Error('Connection terminated due to connection timeout', { cause: new Error('timeout expired') })],
    ['starting up', Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
    ['a write on a standby (mid-failover)', Object.assign(new Error('cannot execute INSERT in a read-only transaction'), { code: '25006' })],
    ['wrapped', new DatabaseUnavailableError(new Error('x'))],
    ['aggregate', Object.assign(new Error('multi'), { errors: [Object.assign(new Error('a'), { code: 'ECONNREFUSED' })] })],
  ])('%s is an outage', (_name, error) => {
    expect(isDatabaseUnavailableError(error)).toBe(true);
  });

  it.each([
    ['unique violation', Object.assign(new Error('duplicate key'), { code: '23505' })],
    ['bad json', Object.assign(new Error('invalid input syntax for type json'), { code: '22P02' })],
    ['plain', new Error('something else')],
    ['a statement timeout (the statement, not the server)', Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })],
    ['another message mentioning a timeout', new Error('lock timeout expired while waiting')],
    ['not an error', 'text'],
  ])('%s is not an outage', (_name, error) => {
    expect(isDatabaseUnavailableError(error)).toBe(false);
  });
});

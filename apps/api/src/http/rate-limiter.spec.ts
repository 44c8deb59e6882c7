import { RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  it('grants the burst, then refuses with the seconds until the next token, and refills with time', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(2, 3, () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 0]);
    expect(limiter.take('a')).toBe(1);
    expect(limiter.take('b')).toBe(0);
    now += 500;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(1);
  });

  it('tells whether a name would be refused without taking a token', () => {
    const now = 0;
    const limiter = new RateLimiter(1, 1, () => now);
    expect(limiter.wouldRefuse('x')).toBe(0);
    limiter.take('x');
    expect(limiter.wouldRefuse('x')).toBe(1);
    expect(limiter.wouldRefuse('x')).toBe(1);
  });
});

/**
 * Token buckets by name (a key id, an address), in this process: a bucket holds at most
 * `burst` tokens and regains `perSecond` a second. Buckets idle long enough to be full are
 * forgotten, so the map stays as small as the set of recent callers.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updatedAtMilliseconds: number }>();
  private sweptAtMilliseconds = 0;

  constructor(private readonly perSecond: number, private readonly burst: number, private readonly nowMilliseconds: () => number = () => Date.now()) {}

  /** Takes one token: 0 when granted, else the seconds after which one will be there (Retry-After). */
  take(name: string): number {
    const now = this.nowMilliseconds();
    this.sweep(now);
    const bucket = this.buckets.get(name) ?? { tokens: this.burst, updatedAtMilliseconds: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.updatedAtMilliseconds) / 1000) * this.perSecond);
    bucket.updatedAtMilliseconds = now;
    this.buckets.set(name, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond));
  }

  /** Whether `name` has a token left, without taking one. */
  wouldRefuse(name: string): number {
    const now = this.nowMilliseconds();
    const bucket = this.buckets.get(name);
    if (bucket === undefined) return 0;
    const tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.updatedAtMilliseconds) / 1000) * this.perSecond);
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.perSecond));
  }

  private sweep(now: number): void {
    if (now - this.sweptAtMilliseconds < 60_000) return;
    this.sweptAtMilliseconds = now;
    const fullAfterMilliseconds = (this.burst / this.perSecond) * 1000;
    for (const [name, bucket] of this.buckets) {
      if (now - bucket.updatedAtMilliseconds > fullAfterMilliseconds) this.buckets.delete(name);
    }
  }
}

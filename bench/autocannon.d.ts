// autocannon ships no typings: this declares the part of its programmatic API the HTTP
// benchmark uses, so the benchmark imports it typed instead of through an untyped require.
declare module 'autocannon' {
  export type AutocannonRequest = { method: string; path: string; headers: Record<string, string>; body?: string; setupRequest?: (request: AutocannonRequest) => AutocannonRequest };
  export type AutocannonResult = {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number; average: number; max: number };
    non2xx: number;
    errors: number;
    timeouts: number;
    duration: number;
  };
  export type Autocannon = (options: {
    url: string; connections: number; duration: number; overallRate?: number; requests: AutocannonRequest[];
  }) => Promise<AutocannonResult>;
  const autocannon: Autocannon;
  export default autocannon;
}

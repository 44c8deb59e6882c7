/** One sample of the Prometheus text format: metric name, labels, value. */
export type PrometheusSample = { name: string; labels: Record<string, string>; value: number };

const METRIC_NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const SAMPLE_LINE = new RegExp(`^(${METRIC_NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)?,?\\})? (-?(?:\\d+(?:\\.\\d+)?(?:e[+-]?\\d+)?|[Nn][Aa][Nn]|[+-][Ii]nf))(?: -?\\d+)?$`);
const HELP_LINE = new RegExp(`^# HELP ${METRIC_NAME} .*$`);
const TYPE_LINE = new RegExp(`^# TYPE (${METRIC_NAME}) (counter|gauge|histogram|summary|untyped)$`);

/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4): every line must
 * be a HELP, a TYPE or a sample whose name belongs to the last TYPE declared, or it throws
 * naming the line. Enough to check that a scraper can read `/metrics`.
 */
export function parsePrometheusText(text: string): PrometheusSample[] {
  const samples: PrometheusSample[] = [];
  let declared: string | null = null;
  for (const [index, line] of text.split('\n').entries()) {
    if (line === '') continue;
    if (HELP_LINE.test(line)) continue;
    const type = TYPE_LINE.exec(line);
    if (type) {
      declared = type[1]!;
      continue;
    }
    const sample = SAMPLE_LINE.exec(line);
    if (!sample) throw new Error(`line ${index + 1} is not Prometheus text: ${line}`);
    const name = sample[1]!;
    if (declared === null || !(name === declared || /^(.*)_(bucket|sum|count|total|created)$/.exec(name)?.[1] === declared)) {
      throw new Error(`line ${index + 1}: sample ${name} outside its TYPE (${declared ?? 'none'})`);
    }
    const labels: Record<string, string> = {};
    for (const match of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[match[1]!] = match[2]!;
    const raw = sample[3]!;
    // Go's ParseFloat (Prometheus's parser) takes NaN and Inf in any case; prom-client writes `Nan`.
    const lower = raw.toLowerCase();
    samples.push({ name, labels, value: lower === '+inf' ? Infinity : lower === '-inf' ? -Infinity : lower === 'nan' ? Number.NaN : Number(raw) });
  }
  return samples;
}

/** The value of the one sample with this name and these labels (undefined when absent). */
export function sampleValue(samples: readonly PrometheusSample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value;
}

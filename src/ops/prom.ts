/**
 * Prometheus text exposition format 0.0.4: `# HELP`, `# TYPE`, then one `name{labels} value` line
 * per sample. Each metric family is written once, with all its samples together, as the format
 * requires.
 */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Record<string, string>;
export type MetricType = 'counter' | 'gauge' | 'histogram';

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export class PromWriter {
  private readonly out: string[] = [];

  /** Writes one metric family: its help, its type and every sample. */
  family(name: string, type: MetricType, help: string, samples: [Labels, number][]): this {
    this.out.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
      this.out.push(`${name}${l ? `{${l}}` : ''} ${formatValue(value)}`);
    }
    return this;
  }

  /**
   * A histogram family: per label set, the cumulative `_bucket` samples up to each bound and +Inf,
   * then `_sum` and `_count`. `counts` are per bucket (not cumulative), one more than `bounds`.
   */
  histogram(name: string, help: string, bounds: readonly number[], series: { labels: Labels; counts: number[]; sum: number }[]): this {
    this.out.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} histogram`);
    for (const { labels, counts, sum } of series) {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}",`).join('');
      let total = 0;
      bounds.forEach((le, i) => {
        total += counts[i] ?? 0;
        this.out.push(`${name}_bucket{${l}le="${le}"} ${total}`);
      });
      total += counts[bounds.length] ?? 0;
      this.out.push(`${name}_bucket{${l}le="+Inf"} ${total}`);
      const plain = l === '' ? '' : `{${l.slice(0, -1)}}`;
      this.out.push(`${name}_sum${plain} ${formatValue(sum)}`, `${name}_count${plain} ${total}`);
    }
    return this;
  }

  /** One family with a single unlabelled sample. */
  single(name: string, type: MetricType, help: string, value: number): this {
    return this.family(name, type, help, [[{}, value]]);
  }

  text(): string {
    return this.out.join('\n') + '\n';
  }
}

/** Progress lines while the bench runs, and the Markdown tables at the end. */

const started = performance.now();

export function progress(msg) {
  const s = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`[${s} s] ${msg}\n`);
}

export function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function fmt(x, digits = 1) {
  if (!Number.isFinite(x)) return '–';
  return x >= 1000 ? Math.round(x).toLocaleString('en-US') : x.toFixed(digits);
}

/** Eclipso's figure over the baseline's, e.g. "1.08×". */
export function ratio(ours, base) {
  return Number.isFinite(ours) && Number.isFinite(base) && base > 0 ? `${(ours / base).toFixed(2)}×` : '–';
}

export function table(headers, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

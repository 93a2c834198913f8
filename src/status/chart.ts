// Small inline SVG charts for the status page: one series over the last minutes, drawn on the
// server (no script, no external asset). Each bucket carries a native <title> tooltip, and the
// drawing carries its scale in data-* attributes so a test can read values back off the picture.
import type { RequestHistory } from '../metrics/recent-requests.ts';
import { escapeHtml } from '../http/escape-html.ts';

export const chartWidth = 300;
export const chartHeight = 56;

export interface ChartSpec {
  /** Which series: also the data-chart attribute. */
  readonly field: 'requestsPerSec' | 'p99Ms';
  readonly label: string;
  readonly format: (value: number) => string;
  /** The smallest top of the scale, so a quiet coordinator's chart is not all noise. */
  readonly minimumTop: number;
}

export const requestRateChart: ChartSpec = { field: 'requestsPerSec', label: 'req/s', format: (v) => formatNumber(v), minimumTop: 1 };
export const latencyChart: ChartSpec = { field: 'p99Ms', label: 'p99', format: (v) => `${formatNumber(v)} ms`, minimumTop: 1 };

/** 1, 2 or 5 times a power of ten, at least `value`. */
function niceTop(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value * (1 - 1e-9)) return step * power;
  return 10 * power;
}

/** A label line (series, its maximum, the top of the scale) and the chart. */
export function renderChart(history: RequestHistory, spec: ChartSpec, coordinator: string): string {
  const values: readonly (number | null)[] = history[spec.field];
  const count = values.length;
  const present = values.filter((v): v is number => v !== null);
  const max = present.length === 0 ? 0 : Math.max(...present);
  const top = niceTop(Math.max(max, spec.minimumTop));
  const step = count > 1 ? chartWidth / (count - 1) : chartWidth;
  const x = (k: number) => round(k * step);
  const y = (v: number) => round(chartHeight - (Math.min(v, top) / top) * chartHeight);

  // The line is broken where a bucket has no value (p99 without requests); a lone value, which
  // a line cannot show, also gets a dot: a short thick dash (a circle would be stretched).
  let line = '';
  let dots = '';
  for (let k = 0; k < count; k++) {
    const v = values[k];
    if (v === null || v === undefined) continue;
    const isStart = k === 0 || values[k - 1] === null;
    line += `${isStart ? 'M' : 'L'}${x(k)} ${y(v)}`;
    if (isStart && (k === count - 1 || values[k + 1] === null)) dots += `M${round(x(k) - 1.5)} ${y(v)}h3`;
  }
  const area = spec.field === 'requestsPerSec' && count > 1 && line !== '' ? `<path class="area" d="${line}L${x(count - 1)} ${chartHeight}L0 ${chartHeight}Z"/>` : '';
  const errorMarks = history.errors.map((errors, k) => (errors > 0 ? `<rect class="error" x="${round(x(k) - 1.5)}" y="${chartHeight - 3}" width="3" height="3"/>` : '')).join('');

  const startsAtMs = Date.parse(history.startsAt);
  const bucketMs = history.bucketSec * 1000;
  const tips = values
    .map((v, k) => {
      const from = new Date(startsAtMs + k * bucketMs).toISOString().slice(11, 19);
      const text = `${from} UTC +${history.bucketSec}s: ${history.requestsPerSec[k]} req/s, p99 ${history.p99Ms[k] === null ? '–' : `${history.p99Ms[k]} ms`}, ${history.errors[k]} errors`;
      return `<rect class="tip" x="${round(x(k) - step / 2)}" y="0" width="${round(step)}" height="${chartHeight}"><title>${escapeHtml(text)}</title></rect>`;
    })
    .join('');

  const maxText = present.length === 0 ? '–' : spec.format(max);
  const summary = `${spec.label} of ${coordinator}, last ${Math.round((count * history.bucketSec) / 60)} min: max ${maxText}`;
  return `<div class="chart-label"><span>${spec.label}</span><span>max ${maxText} · top ${spec.format(top)}</span></div>
<svg class="chart" data-chart="${spec.field}" data-top="${top}" data-max="${max}" data-starts-at="${history.startsAt}" width="100%" height="${chartHeight}" viewBox="0 0 ${chartWidth} ${chartHeight}" preserveAspectRatio="none" role="img" aria-label="${escapeHtml(summary)}">
<line class="grid" x1="0" y1="0.5" x2="${chartWidth}" y2="0.5"/><line class="axis" x1="0" y1="${chartHeight - 0.5}" x2="${chartWidth}" y2="${chartHeight - 0.5}"/>
${area}<path class="line" d="${line}"/>${dots === '' ? '' : `<path class="dot" d="${dots}"/>`}${errorMarks}${tips}
</svg>`;
}

function formatNumber(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1).replace(/\.0$/, '');
  return value.toFixed(2).replace(/\.?0+$/, '') || '0';
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

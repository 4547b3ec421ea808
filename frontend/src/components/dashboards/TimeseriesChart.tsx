import { useEffect, useMemo, useRef, useState } from 'react';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { canDrawCanvas, cssVar, useThemeVersion } from '../../chart';
import { formatCount, parseTime } from '../../format';
import { isLevel, type SeriesBucket, type TimeseriesData } from '../../types';
import { tickLabel } from '../Histogram';

const PALETTE = ['#5aa9e6', '#e5a64b', '#58b368', '#d1605e', '#a57be0', '#4cc3c3', '#c9c95a', '#e07bb5', '#8a9bb0', '#7ec07e'];
const OTHER_COLOR = '#6b7280';

export interface ChartSeries {
  label: string;
  color: string;
  total: number;
  values: number[];
}

/**
 * uPlot's input for a count-over-time widget: bucket starts (seconds) on a regular grid over
 * [since, until) anchored on a real bucket, and per series its count in each (0 where it had none).
 */
export function seriesChartData(
  data: TimeseriesData,
  since: string,
  until: string,
  splitBy = '',
): { x: number[]; series: ChartSeries[] } {
  const start = parseTime(since)?.getTime() ?? NaN;
  const end = parseTime(until)?.getTime() ?? NaN;
  const step = data.interval * 1000;
  const all: Array<{ label: string; buckets: SeriesBucket[]; color?: string }> = data.series.map((s) => ({
    label: s.value === null ? 'lines' : s.value === '' ? '(empty)' : s.value,
    buckets: s.buckets,
  }));
  if (data.other) all.push({ label: 'other', buckets: data.other.buckets, color: OTHER_COLOR });

  const times = new Set<number>();
  for (const s of all) for (const b of s.buckets) {
    const t = parseTime(b.time)?.getTime();
    if (t !== undefined) times.add(t);
  }
  if (step > 0 && Number.isFinite(start) && Number.isFinite(end)) {
    let t = times.size > 0 ? Math.min(...times) : Math.floor(start / step) * step;
    while (t - step >= start) t -= step;
    for (let i = 0; t < end && i < 5000; t += step, i += 1) times.add(t);
  }
  const x = [...times].sort((a, b) => a - b);
  const index = new Map(x.map((t, i) => [t, i]));
  const series = all.map((s, i) => {
    const values = new Array<number>(x.length).fill(0);
    for (const b of s.buckets) {
      const at = index.get(parseTime(b.time)?.getTime() ?? NaN);
      if (at !== undefined) values[at] += b.count;
    }
    const color =
      s.color ?? (splitBy === 'level' && isLevel(s.label) ? cssVar(`--lvl-${s.label}`, PALETTE[i % PALETTE.length]) : PALETTE[i % PALETTE.length]);
    return { label: s.label, color, total: values.reduce((n, v) => n + v, 0), values };
  });
  return { x: x.map((t) => t / 1000), series };
}

/** Count over time, one line per series, drawn with uPlot (an SVG sketch where there is no canvas), and a legend with totals. */
export function TimeseriesChart({ data, since, until, splitBy = '' }: { data: TimeseriesData; since: string; until: string; splitBy?: string }) {
  const host = useRef<HTMLDivElement>(null);
  const [canvas, setCanvas] = useState(false);
  const themeVersion = useThemeVersion();
  const chart = useMemo(() => seriesChartData(data, since, until, splitBy), [data, since, until, splitBy]);

  useEffect(() => {
    const el = host.current;
    if (!el || !canDrawCanvas()) {
      setCanvas(false);
      return;
    }
    let plot: uPlot | null = null;
    let ro: ResizeObserver | null = null;
    let cancelled = false;
    const lo = (parseTime(since)?.getTime() ?? 0) / 1000;
    const hi = (parseTime(until)?.getTime() ?? 0) / 1000;
    import('uplot')
      .then(({ default: UPlot }) => {
        if (cancelled) return;
        const dim = cssVar('--text-dim', '#8b939c');
        const grid = cssVar('--border', '#2f343a');
        const opts: uPlot.Options = {
          width: Math.max(1, el.clientWidth),
          height: Math.max(1, el.clientHeight),
          padding: [8, 8, 0, 0],
          legend: { show: false },
          cursor: { drag: { x: false, y: false } },
          scales: { x: { time: true, range: () => [lo, hi] }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.05] } },
          axes: [
            {
              stroke: dim,
              size: 20,
              ticks: { show: false },
              grid: { show: false },
              font: '10px system-ui, sans-serif',
              values: (_u, splits, _ai, _space, incr) => splits.map((v) => tickLabel(v, incr, hi - lo)),
            },
            { stroke: dim, size: 36, font: '10px system-ui, sans-serif', grid: { stroke: grid, width: 1 }, ticks: { show: false } },
          ],
          series: [{}, ...chart.series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, points: { show: false } }))],
        };
        plot = new UPlot(opts, [chart.x, ...chart.series.map((s) => s.values)] as uPlot.AlignedData, el);
        ro = new ResizeObserver(() => {
          if (plot && el.clientWidth > 0) plot.setSize({ width: el.clientWidth, height: el.clientHeight });
        });
        ro.observe(el);
        setCanvas(true);
      })
      .catch(() => !cancelled && setCanvas(false));
    return () => {
      cancelled = true;
      ro?.disconnect();
      plot?.destroy();
    };
  }, [chart, since, until, themeVersion]);

  const max = Math.max(1, ...chart.series.flatMap((s) => s.values));
  const n = Math.max(1, chart.x.length - 1);
  return (
    <div className="timeseries" data-testid="timeseries">
      <div className="timeseries-plot">
        <div className="timeseries-canvas" ref={host} aria-hidden="true" />
        {!canvas && (
          <svg className="timeseries-svg" viewBox="0 0 1000 100" preserveAspectRatio="none" role="img" aria-label="Count over time">
            {chart.series.map((s, i) => (
              <polyline
                key={`${i}:${s.label}`}
                fill="none"
                stroke={s.color}
                strokeWidth={1.5}
                vectorEffect="non-scaling-stroke"
                points={s.values.map((v, i) => `${(i / n) * 1000},${100 - (v / max) * 96}`).join(' ')}
              />
            ))}
          </svg>
        )}
      </div>
      <ul className="series-legend">
        {chart.series.map((s, i) => (
          <li key={`${i}:${s.label}`} data-testid="series-legend-item" data-value={s.label} data-total={s.total}>
            <span className="series-swatch" style={{ background: s.color }} />
            {s.label} <span className="facet-count">{formatCount(s.total)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

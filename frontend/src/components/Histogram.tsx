import { useEffect, useMemo, useRef, useState, type MouseEvent, type RefObject } from 'react';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { LEVELS, type HistogramResponse } from '../types';
import { selectionToRange, type TimeRange } from '../timeRange';
import { formatTime, parseTime, wallClock } from '../format';
import { useTimeZone } from '../timeZone';
import { canDrawCanvas, cssVar, useThemeVersion } from '../chart';

export interface HistogramProps {
  data: HistogramResponse | null;
  loading?: boolean;
  error?: string | null;
  /** Called with the absolute range under a drag selection. */
  onZoom: (range: TimeRange) => void;
}

const W = 1000;
const H = 100;

interface Column {
  t: number;
  total: number;
  parts: Array<{ level: string; count: number }>;
}

/** Buckets → one column per time, levels stacked in severity order (unknown levels last). */
export function stackBuckets(data: HistogramResponse): Column[] {
  const byTime = new Map<number, Map<string, number>>();
  for (const b of data.buckets) {
    const t = parseTime(b.time)?.getTime();
    if (t === undefined) continue;
    const levels = byTime.get(t) ?? new Map<string, number>();
    levels.set(b.level, (levels.get(b.level) ?? 0) + b.count);
    byTime.set(t, levels);
  }
  const order = (l: string) => {
    const i = (LEVELS as readonly string[]).indexOf(l);
    return i < 0 ? LEVELS.length : i;
  };
  return [...byTime.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([t, levels]) => {
      const parts = [...levels.entries()]
        .map(([level, count]) => ({ level, count }))
        .sort((a, b) => order(a.level) - order(b.level));
      return { t, total: parts.reduce((n, p) => n + p.count, 0), parts };
    });
}

/** uPlot's input: bucket starts (seconds) on a regular grid over the range, and per level the stacked top of its bar. */
export function chartData(
  data: HistogramResponse,
  columns: Column[],
): { levels: string[]; x: number[]; stacked: Array<Array<number | null>> } {
  const since = parseTime(data.since)?.getTime() ?? NaN;
  const until = parseTime(data.until)?.getTime() ?? NaN;
  const step = data.interval * 1000;
  const known = LEVELS as readonly string[];
  const seen = new Set(columns.flatMap((c) => c.parts.map((p) => p.level)));
  const levels = [...known.filter((l) => seen.has(l)), ...[...seen].filter((l) => !known.includes(l)).sort()];
  // A regular grid (anchored on a real bucket) so uPlot sizes every bar to one interval.
  const times = new Set(columns.map((c) => c.t));
  if (step > 0 && Number.isFinite(since) && Number.isFinite(until) && columns.length > 0) {
    let t = columns[0].t;
    while (t - step >= since) t -= step;
    for (let i = 0; t < until && i < 5000; t += step, i += 1) times.add(t);
  }
  const byTime = new Map(columns.map((c) => [c.t, c]));
  const x = [...times].sort((a, b) => a - b);
  const stacked = levels.map(() => new Array<number | null>(x.length).fill(null));
  x.forEach((t, i) => {
    const col = byTime.get(t);
    if (!col) return;
    let sum = 0;
    levels.forEach((level, li) => {
      sum += col.parts.find((p) => p.level === level)?.count ?? 0;
      stacked[li][i] = sum > 0 ? sum : null;
    });
  });
  return { levels, x: x.map((t) => t / 1000), stacked };
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** An x-axis label (in `zone`; undefined = the browser's) for a tick at `sec` seconds, `incr` seconds apart, over a `span`-second range. */
export function tickLabel(sec: number, incr: number, span: number, zone?: string): string {
  const d = wallClock(new Date(sec * 1000), zone);
  const hm = `${pad2(d.hour)}:${pad2(d.minute)}`;
  if (incr < 60) return `${hm}:${pad2(d.second)}`;
  if (span > 2 * 86400) return incr >= 86400 ? `${pad2(d.month)}-${pad2(d.day)}` : `${pad2(d.month)}-${pad2(d.day)} ${hm}`;
  return hm;
}

/**
 * Draws the stacked bars with uPlot on a canvas under the SVG overlay (which keeps handling the
 * drag-to-zoom and carries the per-bucket markers). Returns whether the canvas chart is showing.
 */
function useUplotChart(host: RefObject<HTMLDivElement>, data: HistogramResponse | null, columns: Column[]): boolean {
  const [ready, setReady] = useState(false);
  const themeVersion = useThemeVersion();
  const { zone } = useTimeZone();
  useEffect(() => {
    const el = host.current;
    if (!el || !data || !canDrawCanvas()) {
      setReady(false);
      return;
    }
    let chart: uPlot | null = null;
    let ro: ResizeObserver | null = null;
    let cancelled = false;
    const since = (parseTime(data.since)?.getTime() ?? 0) / 1000;
    const until = (parseTime(data.until)?.getTime() ?? 0) / 1000;
    const { levels, x, stacked } = chartData(data, columns);
    const max = Math.max(1, ...columns.map((c) => c.total));
    import('uplot')
      .then(({ default: UPlot }) => {
        if (cancelled) return;
        const bars = UPlot.paths.bars!({ size: [1, Infinity, 1], align: 1, gap: 1 });
        const dim = cssVar('--text-dim', '#8b939c');
        const grid = cssVar('--border', '#2f343a');
        // Drawn tallest first: each level's bar reaches the top of its stack, the lower levels paint over it.
        const order = levels.map((_, i) => i).reverse();
        const opts: uPlot.Options = {
          width: Math.max(1, el.clientWidth),
          height: Math.max(1, el.clientHeight),
          // No side padding: the plot spans the full width, exactly like the overlay's time scale.
          padding: [6, 0, 0, 0],
          legend: { show: false },
          cursor: { show: false, drag: { x: false, y: false } },
          select: { show: false, left: 0, top: 0, width: 0, height: 0 },
          // Ticks fall on the shown zone's whole hours and days.
          tzDate: (ts) => UPlot.tzDate(new Date(ts * 1000), zone),
          scales: {
            x: { time: true, range: () => [since, until] },
            y: { range: () => [0, max * 1.04] },
          },
          axes: [
            {
              stroke: dim,
              size: 18,
              gap: 2,
              ticks: { show: false },
              grid: { show: false },
              font: '10px system-ui, sans-serif',
              // One line per label (uPlot's default adds a second line with the date).
              values: (_u, splits, _ai, _space, incr) => splits.map((v) => tickLabel(v, incr, until - since, zone)),
            },
            { show: false, grid: { stroke: grid, width: 1 } },
          ],
          series: [
            {},
            ...order.map((i) => ({
              label: levels[i],
              fill: cssVar(`--lvl-${levels[i]}`, '#6b7280'),
              stroke: 'transparent',
              width: 0,
              paths: bars,
              points: { show: false },
            })),
          ],
        };
        chart = new UPlot(opts, [x, ...order.map((i) => stacked[i])] as uPlot.AlignedData, el);
        ro = new ResizeObserver(() => {
          if (chart && el.clientWidth > 0) chart.setSize({ width: el.clientWidth, height: el.clientHeight });
        });
        ro.observe(el);
        setReady(true);
      })
      .catch(() => !cancelled && setReady(false));
    return () => {
      cancelled = true;
      ro?.disconnect();
      chart?.destroy();
    };
    // columns derive from data
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data, themeVersion, zone]);
  return ready && !!data;
}

/** Stacked bars of the current search by level; drag across it to zoom into that time. */
export function Histogram({ data, loading = false, error = null, onZoom }: HistogramProps) {
  const svgRef = useRef<SVGSVGElement>(null);
  const chartHost = useRef<HTMLDivElement>(null);
  const [drag, setDrag] = useState<{ x0: number; x1: number } | null>(null);
  const columns = useMemo(() => (data ? stackBuckets(data) : []), [data]);
  const canvas = useUplotChart(chartHost, data, columns);
  const { zone } = useTimeZone();

  const since = data ? parseTime(data.since)?.getTime() ?? NaN : NaN;
  const until = data ? parseTime(data.until)?.getTime() ?? NaN : NaN;
  const span = until - since;
  const max = Math.max(1, ...columns.map((c) => c.total));
  const barW = data && span > 0 ? Math.max(1, ((data.interval * 1000) / span) * W - 1) : 0;

  const toX = (e: MouseEvent) => {
    const rect = svgRef.current?.getBoundingClientRect();
    if (!rect || rect.width <= 0) return 0;
    return Math.min(W, Math.max(0, ((e.clientX - rect.left) / rect.width) * W));
  };

  const finish = (e: MouseEvent) => {
    if (!drag || !data) return;
    const range = selectionToRange(drag.x0, toX(e), W, data.since, data.until);
    setDrag(null);
    if (range) onZoom(range);
  };

  const total = columns.reduce((n, c) => n + c.total, 0);
  return (
    <div className={`histogram${canvas ? ' with-canvas' : ''}`} data-testid="histogram" aria-busy={loading}>
      <div className="histogram-canvas" ref={chartHost} aria-hidden="true" />
      {error && (
        <div className="histogram-note" data-testid="histogram-error">
          {error}
        </div>
      )}
      <svg
        ref={svgRef}
        className="histogram-chart"
        viewBox={`0 0 ${W} ${H}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Log volume by level: ${total} entries. Drag to zoom.`}
        onMouseDown={(e) => {
          if (e.button !== 0 || !data) return;
          e.preventDefault();
          const x = toX(e);
          setDrag({ x0: x, x1: x });
        }}
        onMouseMove={(e) => drag && setDrag({ ...drag, x1: toX(e) })}
        onMouseUp={finish}
        onMouseLeave={() => setDrag(null)}
      >
        {span > 0 &&
          columns.map((c) => {
            const x = ((c.t - since) / span) * W;
            let y = H;
            return (
              <g key={c.t} data-testid="histogram-bar" data-time={new Date(c.t).toISOString()} data-count={c.total}>
                <title>{`${formatTime(new Date(c.t).toISOString(), zone).slice(0, 19)}: ${c.parts.map((p) => `${p.count} ${p.level}`).join(', ')}`}</title>
                {c.parts.map((p) => {
                  const h = (p.count / max) * (H - 4);
                  y -= h;
                  return <rect key={p.level} className={`hbar lvl-${p.level}`} x={x} y={y} width={barW} height={h} />;
                })}
              </g>
            );
          })}
        {drag && (
          <rect
            className="histogram-selection"
            data-testid="histogram-selection"
            x={Math.min(drag.x0, drag.x1)}
            y={0}
            width={Math.abs(drag.x1 - drag.x0)}
            height={H}
          />
        )}
      </svg>
      {data && total === 0 && !loading && <div className="histogram-note">No entries in this range</div>}
    </div>
  );
}

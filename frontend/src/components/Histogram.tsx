import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent, type ReactNode, type RefObject } from 'react';
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
  /** Shown in the header beside the legend (the hit count). */
  summary?: ReactNode;
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

/** The bucket's time range in a tooltip, in `zone` (undefined = the browser's), with the date when buckets are a day or longer. */
export function bucketRangeLabel(startMs: number, intervalSeconds: number, zone?: string): string {
  const end = startMs + intervalSeconds * 1000;
  const opts: Intl.DateTimeFormatOptions =
    intervalSeconds >= 86400
      ? { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }
      : { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' };
  const f = new Intl.DateTimeFormat('en-GB', { ...opts, timeZone: zone });
  return `${f.format(startMs)} – ${f.format(end)}`;
}

/** Round y-axis ticks (steps of 1, 2 or 5 × 10ⁿ, whole counts) and the scale's top, a tick at or above `max`. */
export function yTicks(max: number): { top: number; ticks: number[] } {
  const m = Math.max(1, max);
  const raw = m / 3;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag);
  const top = Math.ceil(m / step) * step;
  const ticks: number[] = [];
  for (let v = 0; v <= top; v += step) ticks.push(v);
  return { top, ticks };
}

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/** Levels present in the data, in severity order (unknown ones last, by name). */
function levelsOf(data: HistogramResponse | null): string[] {
  if (!data) return [];
  const known = LEVELS as readonly string[];
  const seen = new Set(data.buckets.map((b) => b.level));
  return [...known.filter((l) => seen.has(l)), ...[...seen].filter((l) => !known.includes(l)).sort()];
}

/** Pixels the canvas keeps below the plot (the time axis) and above it (padding): the y labels line up with both. */
const AXIS_PX = 18;
const TOP_PX = 6;

/**
 * Draws the stacked bars with uPlot on a canvas under the SVG overlay (which keeps handling the
 * drag-to-zoom and carries the per-bucket markers). Returns whether the canvas chart is showing.
 */
function useUplotChart(
  host: RefObject<HTMLDivElement>,
  data: HistogramResponse | null,
  columns: Column[],
  top: number,
): boolean {
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
          padding: [TOP_PX, 0, 0, 0],
          legend: { show: false },
          cursor: { show: false, drag: { x: false, y: false } },
          select: { show: false, left: 0, top: 0, width: 0, height: 0 },
          // Ticks fall on the shown zone's whole hours and days.
          tzDate: (ts) => UPlot.tzDate(new Date(ts * 1000), zone),
          scales: {
            x: { time: true, range: () => [since, until] },
            y: { range: () => [0, top] },
          },
          axes: [
            {
              stroke: dim,
              size: AXIS_PX,
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
    // columns (and top) derive from data
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data, columns, themeVersion, zone]);
  return ready && !!data;
}

/** Stacked bars of the current search by level; drag across it to zoom into that time. */
export function Histogram({ data, loading = false, error = null, onZoom, summary }: HistogramProps) {
  const svgRef = useRef<SVGSVGElement>(null);
  const chartHost = useRef<HTMLDivElement>(null);
  const [drag, setDrag] = useState<{ x0: number; x1: number } | null>(null);
  const { zone } = useTimeZone();
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const [hover, setHover] = useState<number | null>(null);
  const levels = useMemo(() => levelsOf(data), [data]);
  // Levels switched off in the legend leave the bars, the scale and the tooltip.
  const shown = useMemo(
    () => (data && hidden.size > 0 ? { ...data, buckets: data.buckets.filter((b) => !hidden.has(b.level)) } : data),
    [data, hidden],
  );
  const columns = useMemo(() => (shown ? stackBuckets(shown) : []), [shown]);
  const { top, ticks } = yTicks(Math.max(0, ...columns.map((c) => c.total)));
  const canvas = useUplotChart(chartHost, shown, columns, top);

  const since = data ? parseTime(data.since)?.getTime() ?? NaN : NaN;
  const until = data ? parseTime(data.until)?.getTime() ?? NaN : NaN;
  const span = until - since;
  const step = data ? data.interval * 1000 : 0;
  const barW = data && span > 0 ? Math.max(1, (step / span) * W - 1) : 0;

  const toX = (e: MouseEvent) => {
    const rect = svgRef.current?.getBoundingClientRect();
    if (!rect || rect.width <= 0) return 0;
    return Math.min(W, Math.max(0, ((e.clientX - rect.left) / rect.width) * W));
  };

  /** The column under x (viewBox units), or null over an empty bucket. */
  const columnAt = (x: number): number | null => {
    if (!(span > 0)) return null;
    const t = since + (x / W) * span;
    const i = columns.findIndex((c) => c.t <= t && t < c.t + Math.max(step, 1));
    return i < 0 ? null : i;
  };

  const finish = (e: MouseEvent) => {
    if (!drag || !data) return;
    const range = selectionToRange(drag.x0, toX(e), W, data.since, data.until);
    setDrag(null);
    if (range) onZoom(range);
  };

  // Arrow keys walk the buckets with the tooltip, for those who do not use a mouse.
  const onKey = (e: KeyboardEvent) => {
    if (columns.length === 0) return;
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      e.preventDefault();
      const d = e.key === 'ArrowRight' ? 1 : -1;
      setHover((h) => (h === null ? (d > 0 ? 0 : columns.length - 1) : Math.min(columns.length - 1, Math.max(0, h + d))));
    } else if (e.key === 'Escape') setHover(null);
  };

  const toggle = (level: string) =>
    setHidden((h) => {
      const next = new Set(h);
      if (next.has(level)) next.delete(level);
      else next.add(level);
      return next;
    });

  const total = columns.reduce((n, c) => n + c.total, 0);
  const tip = hover !== null && !drag ? columns[hover] : undefined;
  const tipX = tip && span > 0 ? ((tip.t + step / 2 - since) / span) * 100 : 0;
  return (
    <section className="histogram-panel" aria-label="Log volume">
      <div className="histogram-head">
        {summary}
        {levels.length > 0 && (
          <ul className="histogram-legend" data-testid="histogram-legend" aria-label="Levels (click to hide or show)">
            {levels.map((level) => (
              <li key={level}>
                <button
                  type="button"
                  className="legend-item"
                  data-testid="legend-level"
                  data-level={level}
                  aria-pressed={!hidden.has(level)}
                  onClick={() => toggle(level)}
                >
                  <span className={`legend-swatch level-${level}`} aria-hidden="true" />
                  {level}
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
      <div className="histogram-body">
        <div className="histogram-yaxis" data-testid="histogram-y-axis" aria-hidden="true">
          {data &&
            ticks.map((v) => (
              <span
                key={v}
                className="histogram-y-tick"
                data-testid="histogram-y-tick"
                style={{ bottom: `calc(${AXIS_PX}px + ${v / top} * (100% - ${AXIS_PX + TOP_PX}px))` }}
              >
                {compact.format(v)}
              </span>
            ))}
        </div>
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
            tabIndex={0}
            aria-label={`Log volume by level: ${total} entries. Drag to zoom; arrow keys show each bucket.`}
            onMouseDown={(e) => {
              if (e.button !== 0 || !data) return;
              e.preventDefault();
              const x = toX(e);
              setDrag({ x0: x, x1: x });
            }}
            onMouseMove={(e) => {
              const x = toX(e);
              if (drag) setDrag({ ...drag, x1: x });
              else setHover(columnAt(x));
            }}
            onMouseUp={finish}
            onMouseLeave={() => {
              setDrag(null);
              setHover(null);
            }}
            onKeyDown={onKey}
            onBlur={() => setHover(null)}
          >
            {span > 0 &&
              columns.map((c) => {
                const x = ((c.t - since) / span) * W;
                let y = H;
                return (
                  <g key={c.t} data-testid="histogram-bar" data-time={new Date(c.t).toISOString()} data-count={c.total}>
                    <title>{`${formatTime(new Date(c.t).toISOString(), zone).slice(0, 19)}: ${c.parts.map((p) => `${p.count} ${p.level}`).join(', ')}`}</title>
                    {c.parts.map((p) => {
                      const h = (p.count / top) * (H - 4);
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
          {tip && data && (
            <div
              className="histogram-tooltip"
              role="tooltip"
              data-testid="histogram-tooltip"
              style={{
                left: `${tipX}%`,
                transform: `translateX(${tipX < 15 ? 0 : tipX > 85 ? -100 : -50}%)`,
              }}
            >
              <div className="tooltip-time">{bucketRangeLabel(tip.t, data.interval, zone)}</div>
              <ul className="tooltip-levels">
                {[...tip.parts].reverse().map((p) => (
                  <li key={p.level} data-level={p.level}>
                    <span className={`legend-swatch level-${p.level}`} aria-hidden="true" />
                    <span className="tooltip-level">{p.level}</span>
                    <span className="tooltip-count">{p.count.toLocaleString('en-US')}</span>
                  </li>
                ))}
              </ul>
              {tip.parts.length > 1 && (
                <div className="tooltip-total">
                  <span>total</span>
                  <span className="tooltip-count">{tip.total.toLocaleString('en-US')}</span>
                </div>
              )}
            </div>
          )}
          {data && total === 0 && !loading && <div className="histogram-note">No entries in this range</div>}
        </div>
      </div>
    </section>
  );
}

import { useMemo, useRef, useState, type MouseEvent } from 'react';
import { LEVELS, type HistogramResponse } from '../types';
import { selectionToRange, type TimeRange } from '../timeRange';
import { parseTime } from '../format';

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

/** Stacked bars of the current search by level; drag across it to zoom into that time. */
export function Histogram({ data, loading = false, error = null, onZoom }: HistogramProps) {
  const svgRef = useRef<SVGSVGElement>(null);
  const [drag, setDrag] = useState<{ x0: number; x1: number } | null>(null);
  const columns = useMemo(() => (data ? stackBuckets(data) : []), [data]);

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
    <div className="histogram" data-testid="histogram" aria-busy={loading}>
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
                <title>{`${new Date(c.t).toLocaleString()}: ${c.parts.map((p) => `${p.count} ${p.level}`).join(', ')}`}</title>
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

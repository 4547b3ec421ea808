/** Time ranges for the explorer: relative presets (stay relative in the URL) or an absolute window. */
import { fromWallClock, wallClock } from './format';

/** Every relative range the URL may carry (the dashboards' API knows the same set). */
export const ALL_PRESETS = ['5m', '15m', '30m', '1h', '3h', '6h', '12h', '24h', '2d', '7d', '30d'] as const;
export type Preset = (typeof ALL_PRESETS)[number];

/** The explorer's buttons. */
export const PRESETS: readonly Preset[] = ['5m', '15m', '1h', '24h', '7d'];
/** The dashboards' buttons: longer views are common there. */
export const DASHBOARD_PRESETS: readonly Preset[] = ['15m', '1h', '6h', '24h', '7d', '30d'];

export type TimeRange = { kind: 'relative'; preset: Preset } | { kind: 'absolute'; since: string; until: string };

export const DEFAULT_RANGE: TimeRange = { kind: 'relative', preset: '24h' };

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

export function isPreset(value: unknown): value is Preset {
  return typeof value === 'string' && (ALL_PRESETS as readonly string[]).includes(value);
}

export function presetMs(preset: Preset): number {
  const n = Number(preset.slice(0, -1));
  return n * UNIT_MS[preset.slice(-1)];
}

/** since/until (RFC 3339) to send to the API; a relative range has no until (= now). */
export function resolveRange(range: TimeRange, now: number = Date.now()): { since: string; until: string | null } {
  if (range.kind === 'absolute') return { since: range.since, until: range.until };
  return { since: new Date(now - presetMs(range.preset)).toISOString(), until: null };
}

export function rangeLabel(range: TimeRange): string {
  if (range.kind === 'relative') return `Last ${range.preset}`;
  return `${range.since} → ${range.until}`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** ISO time → value for <input type="datetime-local"> in `zone` (undefined = the browser's), minute precision. */
export function toDatetimeLocal(iso: string, zone?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const w = wallClock(d, zone);
  return `${w.year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}`;
}

/** <input type="datetime-local"> value (read in `zone`; undefined = the browser's) → ISO UTC, or null when empty/invalid. */
export function fromDatetimeLocal(value: string, zone?: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map((x) => Number(x ?? 0));
  const ms = fromWallClock({ year, month, day, hour, minute, second }, zone);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/**
 * Histogram drag: pixel positions x0/x1 inside a chart `width` pixels wide that spans
 * [since, until) → the absolute range under the selection. Null for a click (tiny drag).
 */
export function selectionToRange(
  x0: number,
  x1: number,
  width: number,
  since: string,
  until: string,
  minPixels = 3,
): TimeRange | null {
  const start = Date.parse(since);
  const end = Date.parse(until);
  if (!(width > 0) || Number.isNaN(start) || Number.isNaN(end) || end <= start) return null;
  const lo = Math.max(0, Math.min(x0, x1));
  const hi = Math.min(width, Math.max(x0, x1));
  if (hi - lo < minPixels) return null;
  const span = end - start;
  const a = Math.floor(start + (lo / width) * span);
  const b = Math.ceil(start + (hi / width) * span);
  if (b <= a) return null;
  return { kind: 'absolute', since: new Date(a).toISOString(), until: new Date(b).toISOString() };
}

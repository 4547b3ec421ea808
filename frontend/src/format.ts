const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * Parses the backend's ISO time. Fractions longer than milliseconds
 * ("…:01.123456Z") are cut to milliseconds first, since not every engine
 * accepts microseconds.
 */
export function parseTime(iso: string): Date | null {
  if (!iso) return null;
  const normalized = iso.replace(/(\.\d{3})\d+/, '$1');
  const d = new Date(normalized);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** The browser's IANA time zone (e.g. "Europe/Paris"); "UTC" when the browser does not say. */
export function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

// Building an Intl formatter is slow; log lists format thousands of times per render.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall-clock reading of `d` in `zone` (an IANA name or "UTC"; undefined = the browser's zone). */
export function wallClock(d: Date, zone?: string): WallClock {
  if (zone === undefined) {
    return { year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(), hour: d.getHours(), minute: d.getMinutes(), second: d.getSeconds() };
  }
  if (zone === 'UTC') {
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
  }
  const parts: Record<string, number> = {};
  for (const p of formatterFor(zone).formatToParts(d)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour % 24, minute: parts.minute, second: parts.second };
}

/** The UTC instant (ms) at which `zone`'s clocks read `wall` (the earlier one in a DST overlap). */
export function fromWallClock(wall: WallClock, zone?: string): number {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  if (zone === undefined) return new Date(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second).getTime();
  if (zone === 'UTC') return asUtc;
  // The zone's offset at a guess, then again at the corrected instant (moves across a DST change).
  const offsetAt = (ms: number) => {
    const w = wallClock(new Date(ms), zone);
    return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000;
  };
  const first = asUtc - offsetAt(asUtc);
  return asUtc - offsetAt(first);
}

/** "2026-11-29 23:40:01.123" in `zone` (undefined = the browser's); the raw text if unparsable. */
export function formatTime(iso: string, zone?: string): string {
  const d = parseTime(iso);
  if (!d) return iso;
  const w = wallClock(d, zone);
  return (
    `${w.year}-${pad(w.month)}-${pad(w.day)} ` +
    `${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}.${pad(d.getMilliseconds(), 3)}`
  );
}

/** How the zone toggle names a zone: "UTC", or "Local (Europe/Paris)". */
export function zoneLabel(zone: string, local: boolean): string {
  return local ? `Local (${zone})` : 'UTC';
}

/** 1234567 → "1,234,567" (fixed grouping, so tests and screenshots read the same everywhere). */
export function formatCount(n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Bytes in binary units: "512 B", "1.5 KiB", "20.0 MiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** Seconds as the largest whole unit: 300 → "5m", 7200 → "2h", 90 → "90s". */
export function formatDuration(seconds: number): string {
  if (seconds > 0 && seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

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

/** "2026-11-29 23:40:01.123" in the browser's local time zone; the raw text if unparsable. */
export function formatLocalTime(iso: string): string {
  const d = parseTime(iso);
  if (!d) return iso;
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
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

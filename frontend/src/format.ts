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

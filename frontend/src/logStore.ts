import type { LogEntry } from './types';

/** Most rows kept in memory while live entries stream in. */
export const MAX_ROWS = 100_000;

/** Live batches overlap only the newest rows; dedupe against this many (plus the batch size). */
const DEDUPE_WINDOW = 2000;

export interface MergeResult {
  entries: LogEntry[];
  /** True when old rows at the bottom had to be dropped to stay under the cap. */
  trimmed: boolean;
}

/**
 * Puts a live batch (oldest first, as the server sends it) on top of the
 * list (newest first), skipping ids already shown, and caps the list.
 */
export function prependLive(current: LogEntry[], batch: LogEntry[], max: number = MAX_ROWS): MergeResult {
  const seen = new Set<string>();
  const window = Math.min(current.length, DEDUPE_WINDOW + batch.length);
  for (let i = 0; i < window; i++) seen.add(current[i].id);
  const fresh: LogEntry[] = [];
  for (let i = batch.length - 1; i >= 0; i--) {
    const e = batch[i];
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    fresh.push(e);
  }
  if (fresh.length === 0) return { entries: current, trimmed: false };
  const merged = fresh.concat(current);
  if (merged.length > max) return { entries: merged.slice(0, max), trimmed: true };
  return { entries: merged, trimmed: false };
}

/**
 * Adds an older page (newest first) under the list, skipping ids already shown. A page can only
 * overlap the oldest rows (cursor paging), so only those are checked: at 100,000 rows
 * a set of every id per page would cost more than the page.
 */
export function appendOlder(current: LogEntry[], page: LogEntry[]): LogEntry[] {
  const seen = new Set<string>();
  for (let i = Math.max(0, current.length - DEDUPE_WINDOW - page.length); i < current.length; i++) seen.add(current[i].id);
  const older = page.filter((e) => !seen.has(e.id));
  return older.length ? current.concat(older) : current;
}

/** The dashboard grid: 12 columns (dashboards/models.py GRID_COLUMNS), rows of a fixed height. */
import type { Cell, StoredRange, Widget } from '../../types';
import { DEFAULT_RANGE, isPreset, type TimeRange } from '../../timeRange';

export const GRID_COLUMNS = 12;
export const MAX_HEIGHT = 12;

/** Widths the editor offers, in grid columns. */
export const WIDTHS: Array<[number, string]> = [
  [3, '¼'],
  [4, '⅓'],
  [6, '½'],
  [8, '⅔'],
  [9, '¾'],
  [12, 'full'],
];

/** Reading order: top to bottom, then left to right. */
export function sortWidgets<T extends Widget>(widgets: readonly T[]): T[] {
  return [...widgets].sort((a, b) => a.y - b.y || a.x - b.x || a.id - b.id);
}

/**
 * Places widgets in order, left to right, starting a new row when the next one does not fit.
 * Cells never overlap, so the result always passes the server's layout check.
 */
export function flow(items: ReadonlyArray<{ id: number; w: number; h: number }>): Array<Cell & { id: number }> {
  const cells: Array<Cell & { id: number }> = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  for (const item of items) {
    const w = Math.min(GRID_COLUMNS, Math.max(1, item.w));
    const h = Math.max(1, item.h);
    if (x + w > GRID_COLUMNS) {
      y += rowHeight;
      x = 0;
      rowHeight = 0;
    }
    cells.push({ id: item.id, x, y, w, h });
    x += w;
    rowHeight = Math.max(rowHeight, h);
  }
  return cells;
}

/** The list with item `index` moved by `delta` places (clamped to the ends). */
export function move<T>(items: readonly T[], index: number, delta: number): T[] {
  const to = Math.max(0, Math.min(items.length - 1, index + delta));
  const next = [...items];
  const [item] = next.splice(index, 1);
  next.splice(to, 0, item);
  return next;
}

/** CSS grid placement for a cell. */
export function cellStyle(cell: Cell): { gridColumn: string; gridRow: string } {
  return { gridColumn: `${cell.x + 1} / span ${cell.w}`, gridRow: `${cell.y + 1} / span ${cell.h}` };
}

/** A dashboard's stored range as the picker's range. */
export function storedToRange(stored: StoredRange | null | undefined): TimeRange {
  if (stored && 'range' in stored && isPreset(stored.range)) return { kind: 'relative', preset: stored.range };
  if (stored && 'since' in stored && !Number.isNaN(Date.parse(stored.since)) && !Number.isNaN(Date.parse(stored.until))) {
    return { kind: 'absolute', since: stored.since, until: stored.until };
  }
  return DEFAULT_RANGE;
}

export function rangeToStored(range: TimeRange): StoredRange {
  return range.kind === 'relative' ? { range: range.preset } : { since: range.since, until: range.until };
}

export function sameRange(a: TimeRange, b: TimeRange): boolean {
  if (a.kind === 'relative' && b.kind === 'relative') return a.preset === b.preset;
  if (a.kind === 'absolute' && b.kind === 'absolute') return Date.parse(a.since) === Date.parse(b.since) && Date.parse(a.until) === Date.parse(b.until);
  return false;
}

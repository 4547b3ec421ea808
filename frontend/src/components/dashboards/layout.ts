/** The dashboard grid: 12 columns (dashboards/models.py GRID_COLUMNS), rows of a fixed height. */
import type { Cell, StoredRange } from '../../types';
// The framework-free core only: the editor's React part is loaded when someone edits (DashboardView).
import { moveElement, verticalCompactor, type Layout, type LayoutItem } from 'react-grid-layout/core';
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
export function sortWidgets<T extends Cell & { id: number }>(widgets: readonly T[]): T[] {
  return [...widgets].sort((a, b) => a.y - b.y || a.x - b.x || a.id - b.id);
}

/** A widget's place on the grid. */
export type Placed = Cell & { id: number };

/** The layout editor's grid (react-grid-layout) items; heights are capped like the server caps them. */
export function toGridLayout(cells: readonly Placed[]): LayoutItem[] {
  return cells.map(({ id, x, y, w, h }) => ({ i: String(id), x, y, w, h, minW: 1, minH: 1, maxW: GRID_COLUMNS, maxH: MAX_HEIGHT }));
}

export function fromGridLayout(layout: Layout): Placed[] {
  return sortWidgets(layout.map(({ i, x, y, w, h }) => ({ id: Number(i), x, y, w, h })));
}

/**
 * Widgets float up into free rows and never overlap: the rule the editor keeps while dragging, so a
 * keyboard change lands where a drag would have put it and Save always passes the server's check.
 */
export function compact(cells: readonly Placed[]): Placed[] {
  return fromGridLayout(verticalCompactor.compact(toGridLayout(cells), GRID_COLUMNS));
}

export interface Nudge {
  dx?: number;
  dy?: number;
  dw?: number;
  dh?: number;
}

/** The keyboard's alternative to dragging: move or resize one widget by grid steps; others make room. */
export function nudge(cells: readonly Placed[], id: number, { dx = 0, dy = 0, dw = 0, dh = 0 }: Nudge): Placed[] {
  let layout = toGridLayout(cells);
  const item = layout.find((l) => l.i === String(id));
  if (!item) return [...cells];
  if (dw || dh) {
    item.w = Math.max(1, Math.min(GRID_COLUMNS, item.w + dw));
    item.h = Math.max(1, Math.min(MAX_HEIGHT, item.h + dh));
    // Wider than the room on its right: it grows leftwards instead of leaving the grid.
    item.x = Math.min(item.x, GRID_COLUMNS - item.w);
  }
  if (dx || dy) {
    const x = Math.max(0, Math.min(GRID_COLUMNS - item.w, item.x + dx));
    // Down by one step means past the widget below, or the compaction would float it straight back.
    const y = Math.max(0, item.y + (dy > 0 ? belowDistance(layout, item) : dy));
    layout = moveElement(layout, item, x, y, true, false, 'vertical', GRID_COLUMNS);
  }
  return fromGridLayout(verticalCompactor.compact(layout, GRID_COLUMNS));
}

/** How far down a widget goes to pass the next one under it (one row when nothing is under it). */
function belowDistance(layout: readonly LayoutItem[], item: LayoutItem): number {
  const under = layout.filter((l) => l !== item && l.y >= item.y + item.h && l.x < item.x + item.w && item.x < l.x + l.w);
  if (under.length === 0) return 1;
  const next = Math.min(...under.map((l) => l.y));
  return next - item.y + Math.min(...under.filter((l) => l.y === next).map((l) => l.h));
}

/** Widths the editor offers, in grid columns, with the widget's own when it is not one of them. */
export function widthChoices(w: number): Array<[number, string]> {
  return WIDTHS.some(([width]) => width === w) ? WIDTHS : [...WIDTHS, [w, `${w}/12`]];
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

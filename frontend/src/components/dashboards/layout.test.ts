import { describe, expect, it } from 'vitest';
import { cellStyle, compact, nudge, rangeToStored, sameRange, sortWidgets, storedToRange, type Placed } from './layout';
import type { Widget } from '../../types';

const widget = (id: number, x: number, y: number, w = 6, h = 4): Widget => ({ id, x, y, w, h, title: '', kind: 'single_number', query: '', split_by: '', options: {} });

describe('dashboard layout', () => {
  it('reads widgets top to bottom, left to right', () => {
    expect(sortWidgets([widget(1, 6, 0), widget(2, 0, 4), widget(3, 0, 0)]).map((w) => w.id)).toEqual([3, 1, 2]);
  });

  const noOverlaps = (cells: Placed[]) => {
    for (const a of cells) {
      for (const b of cells) {
        if (a === b) continue;
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect(overlap).toBe(false);
      }
    }
  };
  // the dashboard of the browser tests: a number and a table side by side, a chart under them
  const board: Placed[] = [
    { id: 1, x: 0, y: 0, w: 4, h: 3 },
    { id: 2, x: 4, y: 0, w: 8, h: 3 },
    { id: 3, x: 0, y: 3, w: 12, h: 4 },
  ];

  it('floats widgets up into free rows', () => {
    expect(compact([{ id: 1, x: 0, y: 5, w: 6, h: 2 }, { id: 2, x: 6, y: 9, w: 6, h: 2 }])).toEqual([
      { id: 1, x: 0, y: 0, w: 6, h: 2 },
      { id: 2, x: 6, y: 0, w: 6, h: 2 },
    ]);
  });

  it('widens a widget and pushes what it would cover down', () => {
    const cells = nudge(board, 1, { dw: 2 });
    expect(cells).toEqual([
      { id: 1, x: 0, y: 0, w: 6, h: 3 },
      { id: 2, x: 4, y: 3, w: 8, h: 3 },
      { id: 3, x: 0, y: 6, w: 12, h: 4 },
    ]);
    noOverlaps(cells);
  });

  it('grows leftwards at the right edge, never past 12 columns', () => {
    const wider = nudge(board, 2, { dw: 3 });
    expect(wider.find((c) => c.id === 2)).toMatchObject({ x: 1, w: 11 });
    noOverlaps(wider);
    expect(nudge(board, 2, { dw: 9 }).find((c) => c.id === 2)).toMatchObject({ x: 0, w: 12 });
    expect(nudge(board, 3, { dw: 5, dh: 20 }).find((c) => c.id === 3)).toMatchObject({ w: 12, h: 12 });
  });

  it('moves a widget down past the one under it, and back up', () => {
    const down = nudge(board, 1, { dy: 1 });
    expect(down.find((c) => c.id === 1)!.y).toBeGreaterThan(down.find((c) => c.id === 3)!.y);
    noOverlaps(down);
    const left = nudge(board, 2, { dx: -1 });
    noOverlaps(left);
    expect(left.find((c) => c.id === 2)!.x).toBe(3);
  });

  it('places a cell on the CSS grid', () => {
    expect(cellStyle({ x: 6, y: 4, w: 6, h: 3 })).toEqual({ gridColumn: '7 / span 6', gridRow: '5 / span 3' });
  });

  it('converts the stored range both ways', () => {
    expect(storedToRange({ range: '30d' })).toEqual({ kind: 'relative', preset: '30d' });
    expect(storedToRange({ since: '2026-11-29T00:00:00Z', until: '2026-11-29T01:00:00Z' })).toEqual({
      kind: 'absolute',
      since: '2026-11-29T00:00:00Z',
      until: '2026-11-29T01:00:00Z',
    });
    expect(storedToRange({ range: 'forever' })).toEqual({ kind: 'relative', preset: '24h' });
    expect(rangeToStored({ kind: 'relative', preset: '6h' })).toEqual({ range: '6h' });
    expect(sameRange({ kind: 'absolute', since: '2026-11-29T00:00:00Z', until: '2026-11-29T01:00:00Z' }, { kind: 'absolute', since: '2026-11-29T00:00:00.000Z', until: '2026-11-29T01:00:00+00:00' })).toBe(true);
  });
});

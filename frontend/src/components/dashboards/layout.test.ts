import { describe, expect, it } from 'vitest';
import { cellStyle, flow, move, rangeToStored, sameRange, sortWidgets, storedToRange } from './layout';
import type { Widget } from '../../types';

const widget = (id: number, x: number, y: number, w = 6, h = 4): Widget => ({ id, x, y, w, h, title: '', kind: 'single_number', query: '', split_by: '', options: {} });

describe('dashboard layout', () => {
  it('reads widgets top to bottom, left to right', () => {
    expect(sortWidgets([widget(1, 6, 0), widget(2, 0, 4), widget(3, 0, 0)]).map((w) => w.id)).toEqual([3, 1, 2]);
  });

  it('flows widgets into rows of 12 columns without overlaps', () => {
    const cells = flow([
      { id: 1, w: 6, h: 4 },
      { id: 2, w: 4, h: 2 },
      { id: 3, w: 4, h: 3 },
      { id: 4, w: 12, h: 2 },
    ]);
    expect(cells).toEqual([
      { id: 1, x: 0, y: 0, w: 6, h: 4 },
      { id: 2, x: 6, y: 0, w: 4, h: 2 },
      { id: 3, x: 0, y: 4, w: 4, h: 3 },
      { id: 4, x: 0, y: 7, w: 12, h: 2 },
    ]);
    for (const a of cells) {
      for (const b of cells) {
        if (a === b) continue;
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect(overlap).toBe(false);
      }
    }
  });

  it('moves an item up or down, staying inside the list', () => {
    expect(move(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b']);
    expect(move(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
    expect(move(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c']);
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

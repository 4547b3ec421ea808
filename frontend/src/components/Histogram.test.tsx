import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { Histogram, stackBuckets } from './Histogram';
import type { HistogramResponse } from '../types';

const data: HistogramResponse = {
  interval: 3600,
  since: '2026-11-29T00:00:00Z',
  until: '2026-11-29T10:00:00Z',
  buckets: [
    { time: '2026-11-29T01:00:00Z', level: 'error', count: 2 },
    { time: '2026-11-29T01:00:00Z', level: 'info', count: 5 },
    { time: '2026-11-29T03:00:00Z', level: 'warn', count: 1 },
  ],
};

describe('Histogram', () => {
  it('stacks levels per time in severity order', () => {
    const cols = stackBuckets(data);
    expect(cols).toHaveLength(2);
    expect(cols[0].total).toBe(7);
    expect(cols[0].parts.map((p) => p.level)).toEqual(['info', 'error']);
  });

  it('renders a bar per time with one rect per level', () => {
    render(<Histogram data={data} onZoom={() => {}} />);
    const bars = screen.getAllByTestId('histogram-bar');
    expect(bars.map((b) => b.getAttribute('data-count'))).toEqual(['7', '1']);
    expect(bars[0].querySelectorAll('rect')).toHaveLength(2);
  });

  it('drag across the chart zooms to the selected time', () => {
    const onZoom = vi.fn();
    render(<Histogram data={data} onZoom={onZoom} />);
    const svg = screen.getByTestId('histogram').querySelector('svg')!;
    svg.getBoundingClientRect = () => ({ left: 10, top: 0, width: 500, height: 90, right: 510, bottom: 90, x: 10, y: 0, toJSON() {} }) as DOMRect;
    fireEvent.mouseDown(svg, { clientX: 60, button: 0 }); // 50px of 500 = 10% → 01:00
    fireEvent.mouseMove(svg, { clientX: 160 });
    expect(screen.getByTestId('histogram-selection')).toBeInTheDocument();
    fireEvent.mouseUp(svg, { clientX: 160 }); // 30% → 03:00
    expect(onZoom).toHaveBeenCalledWith({
      kind: 'absolute',
      since: '2026-11-29T01:00:00.000Z',
      until: '2026-11-29T03:00:00.000Z',
    });
  });

  it('a click without dragging does not zoom', () => {
    const onZoom = vi.fn();
    render(<Histogram data={data} onZoom={onZoom} />);
    const svg = screen.getByTestId('histogram').querySelector('svg')!;
    svg.getBoundingClientRect = () => ({ left: 0, top: 0, width: 500, height: 90, right: 500, bottom: 90, x: 0, y: 0, toJSON() {} }) as DOMRect;
    fireEvent.mouseDown(svg, { clientX: 100, button: 0 });
    fireEvent.mouseUp(svg, { clientX: 100 });
    expect(onZoom).not.toHaveBeenCalled();
  });
});

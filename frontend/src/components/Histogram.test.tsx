import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { Histogram, bucketRangeLabel, chartData, stackBuckets, tickLabel, yTicks } from './Histogram';
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

  it('feeds uPlot a regular grid of bucket starts with each level stacked on the ones below', () => {
    const { levels, x, stacked } = chartData(data, stackBuckets(data));
    expect(levels).toEqual(['info', 'warn', 'error']);
    // 00:00 … 09:00, one per interval, in seconds
    expect(x).toHaveLength(10);
    expect(x[0]).toBe(Date.parse('2026-11-29T00:00:00Z') / 1000);
    expect(x[1] - x[0]).toBe(3600);
    expect(stacked[0][1]).toBe(5); // info at 01:00
    expect(stacked[1][1]).toBe(5); // + warn (0)
    expect(stacked[2][1]).toBe(7); // + error
    expect(stacked[1][3]).toBe(1); // warn at 03:00
    expect(stacked[0][3]).toBeNull();
    expect(stacked[2][0]).toBeNull(); // empty bucket
  });

  it('labels the time axis on one line', () => {
    const t = Date.parse('2026-11-29T13:05:30Z') / 1000; // setup pins TZ=UTC
    expect(tickLabel(t, 30, 900)).toBe('13:05:30');
    expect(tickLabel(t, 300, 3600)).toBe('13:05');
    expect(tickLabel(t, 21600, 7 * 86400)).toBe('11-29 13:05');
    expect(tickLabel(t, 86400, 7 * 86400)).toBe('11-29');
  });

  it('without a canvas (jsdom) keeps drawing the SVG bars', () => {
    render(<Histogram data={data} onZoom={() => {}} />);
    expect(screen.getByTestId('histogram')).not.toHaveClass('with-canvas');
    expect(screen.getByTestId('histogram').querySelector('svg')).toBeInTheDocument();
  });

  it('y-axis ticks are round counts up to a top at or above the tallest bar', () => {
    expect(yTicks(7)).toEqual({ top: 10, ticks: [0, 5, 10] });
    expect(yTicks(0)).toEqual({ top: 1, ticks: [0, 1] });
    expect(yTicks(1234)).toEqual({ top: 1500, ticks: [0, 500, 1000, 1500] });
  });

  it('shows a y-axis and a legend of the levels present', () => {
    render(<Histogram data={data} onZoom={() => {}} summary={<span>7 lines</span>} />);
    expect(screen.getAllByTestId('legend-level').map((b) => b.dataset.level)).toEqual(['info', 'warn', 'error']);
    expect(screen.getAllByTestId('histogram-y-tick').map((t) => t.textContent)).toEqual(['0', '5', '10']);
    expect(screen.getByText('7 lines')).toBeInTheDocument();
  });

  it('a legend entry hides its level from the bars', () => {
    render(<Histogram data={data} onZoom={() => {}} />);
    fireEvent.click(screen.getAllByTestId('legend-level')[0]); // info
    expect(screen.getAllByTestId('legend-level')[0]).toHaveAttribute('aria-pressed', 'false');
    expect(screen.getAllByTestId('histogram-bar').map((b) => b.getAttribute('data-count'))).toEqual(['2', '1']);
  });

  it('hover (or the arrow keys) shows the bucket time range and its counts per level', () => {
    render(<Histogram data={data} onZoom={() => {}} />);
    const svg = screen.getByTestId('histogram').querySelector('svg')!;
    svg.getBoundingClientRect = () => ({ left: 0, top: 0, width: 1000, height: 90, right: 1000, bottom: 90, x: 0, y: 0, toJSON() {} }) as DOMRect;
    fireEvent.mouseMove(svg, { clientX: 150 }); // 01:30, in the 01:00 bucket
    const tip = screen.getByTestId('histogram-tooltip');
    expect(tip).toHaveTextContent('01:00:00 – 02:00:00');
    expect(tip).toHaveTextContent(/error\s*2/);
    expect(tip).toHaveTextContent(/info\s*5/);
    expect(tip).toHaveTextContent(/total\s*7/);
    fireEvent.mouseLeave(svg);
    expect(screen.queryByTestId('histogram-tooltip')).toBeNull();
    fireEvent.keyDown(svg, { key: 'ArrowLeft' });
    expect(screen.getByTestId('histogram-tooltip')).toHaveTextContent(/warn\s*1/);
  });

  it('labels a bucket with its start and end', () => {
    expect(bucketRangeLabel(Date.parse('2026-11-29T13:05:00Z'), 30)).toBe('13:05:00 – 13:05:30');
  });
});

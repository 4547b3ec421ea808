import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { TimeseriesChart, seriesChartData } from './TimeseriesChart';
import type { TimeseriesData } from '../../types';

const DATA: TimeseriesData = {
  interval: 3600,
  series: [
    { value: 'billing', buckets: [{ time: '2026-11-29T01:00:00Z', count: 4 }, { time: '2026-11-29T03:00:00Z', count: 1 }] },
    { value: 'shop', buckets: [{ time: '2026-11-29T01:00:00Z', count: 2 }] },
  ],
  other: { buckets: [{ time: '2026-11-29T02:00:00Z', count: 6 }] },
};

describe('TimeseriesChart', () => {
  it('puts every series on one regular grid over the range, zero where it had nothing', () => {
    const { x, series } = seriesChartData(DATA, '2026-11-29T00:00:00Z', '2026-11-29T05:00:00Z');
    expect(x).toEqual([0, 1, 2, 3, 4].map((h) => Date.parse(`2026-11-29T0${h}:00:00Z`) / 1000));
    expect(series.map((s) => [s.label, s.values, s.total])).toEqual([
      ['billing', [0, 4, 0, 1, 0], 5],
      ['shop', [0, 2, 0, 0, 0], 2],
      ['other', [0, 0, 6, 0, 0], 6],
    ]);
  });

  it('names the one series of an unsplit widget and lists totals in the legend', () => {
    const single: TimeseriesData = { interval: 60, series: [{ value: null, buckets: [{ time: '2026-11-29T00:01:00Z', count: 9 }] }], other: null };
    render(<TimeseriesChart data={single} since="2026-11-29T00:00:00Z" until="2026-11-29T00:05:00Z" />);
    const item = screen.getByTestId('series-legend-item');
    expect(item).toHaveAttribute('data-value', 'lines');
    expect(item).toHaveAttribute('data-total', '9');
    // without a canvas (jsdom) an SVG sketch draws the line
    expect(screen.getByTestId('timeseries').querySelectorAll('polyline')).toHaveLength(1);
  });
});

import { fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { TimeRangePicker } from './TimeRangePicker';
import { PRESETS } from '../timeRange';
import { TimeZoneProvider, zoneState } from '../timeZone';

describe('TimeRangePicker', () => {
  it('offers the presets and reports a relative range', async () => {
    const user = userEvent.setup();
    const onChange = vi.fn();
    render(<TimeRangePicker value={{ kind: 'relative', preset: '24h' }} onChange={onChange} />);
    expect(screen.getByTestId('range-picker')).toBeInTheDocument();
    for (const p of PRESETS) expect(screen.getByTestId(`range-${p}`)).toBeInTheDocument();
    expect(screen.getByTestId('range-24h')).toHaveAttribute('aria-pressed', 'true');
    await user.click(screen.getByTestId('range-5m'));
    expect(onChange).toHaveBeenCalledWith({ kind: 'relative', preset: '5m' });
    await user.click(screen.getByTestId('range-7d'));
    expect(onChange).toHaveBeenLastCalledWith({ kind: 'relative', preset: '7d' });
  });

  it('reports an absolute range from the two datetime inputs (local time, TZ=UTC in tests)', () => {
    const onChange = vi.fn();
    render(<TimeRangePicker value={{ kind: 'relative', preset: '1h' }} onChange={onChange} />);
    fireEvent.change(screen.getByTestId('range-custom-since'), { target: { value: '2026-11-29T10:00' } });
    fireEvent.change(screen.getByTestId('range-custom-until'), { target: { value: '2026-11-29T12:30' } });
    expect(onChange).toHaveBeenLastCalledWith({
      kind: 'absolute',
      since: '2026-11-29T10:00:00.000Z',
      until: '2026-11-29T12:30:00.000Z',
    });
  });

  it('does not apply a range that ends before it starts', () => {
    const onChange = vi.fn();
    render(
      <TimeRangePicker
        value={{ kind: 'absolute', since: '2026-11-29T10:00:00.000Z', until: '2026-11-29T11:00:00.000Z' }}
        onChange={onChange}
      />,
    );
    expect(screen.getByTestId('range-custom-since')).toHaveValue('2026-11-29T10:00');
    fireEvent.change(screen.getByTestId('range-custom-since'), { target: { value: '2026-11-29T12:00' } });
    expect(onChange).not.toHaveBeenCalled();
    expect(screen.getByTestId('range-invalid')).toBeInTheDocument();
  });

  it('shows a preset\'s resolved window in the inputs, in the chosen zone', () => {
    vi.useFakeTimers({ now: Date.parse('2026-11-29T12:00:30Z'), toFake: ['Date'] });
    try {
      const { rerender } = render(
        <TimeZoneProvider value={zoneState('local', 'Asia/Tokyo')}>
          <TimeRangePicker value={{ kind: 'relative', preset: '15m' }} onChange={() => {}} />
        </TimeZoneProvider>,
      );
      expect(screen.getByTestId('range-custom-since')).toHaveValue('2026-11-29T20:45');
      expect(screen.getByTestId('range-custom-until')).toHaveValue('2026-11-29T21:00');
      rerender(
        <TimeZoneProvider value={zoneState('utc', 'Asia/Tokyo')}>
          <TimeRangePicker value={{ kind: 'relative', preset: '1h' }} onChange={() => {}} />
        </TimeZoneProvider>,
      );
      expect(screen.getByTestId('range-custom-since')).toHaveValue('2026-11-29T11:00');
    } finally {
      vi.useRealTimers();
    }
  });
});

import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { LiveToggle, formatRate } from './LiveToggle';

describe('LiveToggle', () => {
  it('shows status, rate, pause/resume and the skipped notice only while on', async () => {
    const user = userEvent.setup();
    const onPause = vi.fn();
    const onResume = vi.fn();
    const { rerender } = render(
      <LiveToggle on status="live" onChange={() => {}} onPause={onPause} onResume={onResume} rate={12.34} skipped={0} />,
    );
    expect(screen.getByTestId('live-status')).toHaveAttribute('data-status', 'live');
    expect(screen.getByTestId('live-rate')).toHaveTextContent('12.3 lines/s');
    expect(screen.queryByTestId('live-skipped')).not.toBeInTheDocument();
    await user.click(screen.getByTestId('live-pause'));
    expect(onPause).toHaveBeenCalledTimes(1);

    rerender(<LiveToggle on status="live" onChange={() => {}} onPause={onPause} onResume={onResume} paused skipped={42} />);
    expect(screen.getByTestId('live-pause')).toHaveTextContent('Resume');
    expect(screen.getByTestId('live-skipped')).toHaveTextContent('Skipped 42 lines');
    await user.click(screen.getByTestId('live-pause'));
    expect(onResume).toHaveBeenCalledTimes(1);

    rerender(<LiveToggle on={false} status="off" onChange={() => {}} onPause={onPause} skipped={42} />);
    expect(screen.queryByTestId('live-pause')).not.toBeInTheDocument();
    expect(screen.queryByTestId('live-skipped')).not.toBeInTheDocument();
  });

  it('formats the rate', () => {
    expect(formatRate(0)).toBe('0.0 lines/s');
    expect(formatRate(2500.4)).toBe('2500 lines/s');
  });
});

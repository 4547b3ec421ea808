import { act, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useLiveRefresh } from './liveRefresh';

describe('useLiveRefresh', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const setup = (props: { live: boolean; busy: boolean; hidden?: boolean }) => {
    const refresh = vi.fn();
    const hook = renderHook((p: typeof props) => useLiveRefresh({ ...p, refresh, intervalMs: 1000, isHidden: () => !!p.hidden }), {
      initialProps: props,
    });
    return { refresh, hook };
  };

  it('refreshes once per interval, only after live lines arrived', () => {
    const { refresh, hook } = setup({ live: true, busy: false });
    act(() => void vi.advanceTimersByTime(3000));
    expect(refresh).not.toHaveBeenCalled();
    hook.result.current(2);
    hook.result.current(3);
    act(() => void vi.advanceTimersByTime(1000));
    expect(refresh).toHaveBeenCalledTimes(1);
    act(() => void vi.advanceTimersByTime(3000));
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('waits while a refresh is in flight or the tab is hidden, then catches up', () => {
    const { refresh, hook } = setup({ live: true, busy: true });
    hook.result.current(1);
    act(() => void vi.advanceTimersByTime(2000));
    expect(refresh).not.toHaveBeenCalled();
    hook.rerender({ live: true, busy: false, hidden: true });
    act(() => void vi.advanceTimersByTime(2000));
    expect(refresh).not.toHaveBeenCalled();
    hook.rerender({ live: true, busy: false, hidden: false });
    act(() => void vi.advanceTimersByTime(1000));
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('does nothing when live is off', () => {
    const { refresh, hook } = setup({ live: false, busy: false });
    hook.result.current(5);
    act(() => void vi.advanceTimersByTime(5000));
    expect(refresh).not.toHaveBeenCalled();
  });
});

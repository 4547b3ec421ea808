import { useCallback, useEffect, useRef } from 'react';

/** How often, at most, live mode re-asks for the histogram, facets and count. */
export const LIVE_REFRESH_MS = 5000;

export interface LiveRefreshOptions {
  /** Live mode is on. */
  live: boolean;
  /** A refresh is still in flight: skip this tick rather than start a second one. */
  busy: boolean;
  /** Ask the server again. */
  refresh: () => void;
  intervalMs?: number;
  /** For tests: whether the page is hidden (default: document.hidden). */
  isHidden?: () => boolean;
}

/**
 * Keeps server-computed summaries of a live search current on a bounded cadence: at most one
 * refresh per interval, only when live lines arrived since the last one, never while the previous
 * refresh is in flight, and not while the tab is hidden (the lines are remembered; the first tick
 * after the tab shows again catches up). Returns `noteLines(n)`, to call as live lines arrive.
 */
export function useLiveRefresh({ live, busy, refresh, intervalMs = LIVE_REFRESH_MS, isHidden }: LiveRefreshOptions) {
  const pending = useRef(0);
  const busyRef = useRef(busy);
  busyRef.current = busy;
  const refreshRef = useRef(refresh);
  refreshRef.current = refresh;
  const hiddenRef = useRef(isHidden);
  hiddenRef.current = isHidden;

  useEffect(() => {
    if (!live) return;
    pending.current = 0;
    const hidden = () => (hiddenRef.current ? hiddenRef.current() : typeof document !== 'undefined' && document.hidden);
    const id = setInterval(() => {
      if (pending.current === 0 || busyRef.current || hidden()) return;
      pending.current = 0;
      refreshRef.current();
    }, intervalMs);
    return () => clearInterval(id);
  }, [live, intervalMs]);

  return useCallback((n: number) => {
    pending.current += n;
  }, []);
}

import { useCallback, useEffect, useRef, useState } from 'react';
import { DEFAULT_RANGE, isPreset, type TimeRange } from './timeRange';

/** Everything that defines the explorer view; lives in the URL so it can be shared. */
export interface ExplorerState {
  q: string;
  range: TimeRange;
  live: boolean;
  /** Tenant slug chosen with the switcher ('' = the session's default tenant). */
  tenant: string;
  /** 'logs' (explorer) or 'keys' (apps & keys page). */
  view: 'logs' | 'keys';
}

export const DEFAULT_STATE: ExplorerState = { q: '', range: DEFAULT_RANGE, live: false, tenant: '', view: 'logs' };

export function parseExplorerState(search: string): ExplorerState {
  const p = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  let range: TimeRange = DEFAULT_RANGE;
  const since = p.get('since');
  const until = p.get('until');
  const preset = p.get('range');
  if (since && until && !Number.isNaN(Date.parse(since)) && !Number.isNaN(Date.parse(until))) {
    range = { kind: 'absolute', since, until };
  } else if (isPreset(preset)) {
    range = { kind: 'relative', preset };
  }
  return {
    q: p.get('q') ?? '',
    range,
    live: p.get('live') === '1',
    tenant: p.get('tenant') ?? '',
    view: p.get('view') === 'keys' ? 'keys' : 'logs',
  };
}

/** Query string ('' or '?…') for a state; defaults are left out. */
export function serializeExplorerState(state: ExplorerState): string {
  const p = new URLSearchParams();
  if (state.view !== 'logs') p.set('view', state.view);
  if (state.tenant) p.set('tenant', state.tenant);
  if (state.q.trim()) p.set('q', state.q.trim());
  if (state.range.kind === 'relative') {
    if (state.range.preset !== (DEFAULT_RANGE as { preset: string }).preset) p.set('range', state.range.preset);
  } else {
    p.set('since', state.range.since);
    p.set('until', state.range.until);
  }
  if (state.live) p.set('live', '1');
  const s = p.toString();
  return s ? `?${s}` : '';
}

/**
 * The explorer state, read from and written to location.search.
 * Changes push a history entry (back/forward restore the view); `replace` does not.
 */
export function useUrlState(): [ExplorerState, (patch: Partial<ExplorerState>, opts?: { replace?: boolean }) => void] {
  const [state, setState] = useState<ExplorerState>(() => parseExplorerState(window.location.search));

  useEffect(() => {
    const onPop = () => setState(parseExplorerState(window.location.search));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  const stateRef = useRef(state);
  stateRef.current = state;

  const update = useCallback((patch: Partial<ExplorerState>, opts: { replace?: boolean } = {}) => {
    const next = { ...stateRef.current, ...patch };
    stateRef.current = next;
    const search = serializeExplorerState(next);
    if (search !== window.location.search) {
      const url = `${window.location.pathname}${search}${window.location.hash}`;
      if (opts.replace) window.history.replaceState(null, '', url);
      else window.history.pushState(null, '', url);
    }
    setState(next);
  }, []);

  return [state, update];
}

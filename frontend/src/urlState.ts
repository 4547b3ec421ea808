import { useCallback, useEffect, useRef, useState } from 'react';
import { DEFAULT_RANGE, isPreset, type TimeRange } from './timeRange';
import { isZoneMode, type ZoneMode } from './timeZone';

/** Everything that defines the explorer view; lives in the URL so it can be shared. */
export interface ExplorerState {
  q: string;
  range: TimeRange;
  live: boolean;
  /** Tenant slug chosen with the switcher ('' = the session's default tenant). */
  tenant: string;
  /** 'logs' (explorer), 'keys' (apps & keys), 'alerts', or 'dashboards' (the list, or one with `dashboard`). */
  view: View;
  /** The open dashboard's uid ('' = the list). */
  dashboard: string;
  /** Time zone for shown times, when the link names one ('' = the remembered choice). */
  tz: '' | ZoneMode;
}

export const VIEWS = ['logs', 'keys', 'alerts', 'dashboards'] as const;
export type View = (typeof VIEWS)[number];

export const DEFAULT_STATE: ExplorerState = {
  q: '',
  range: DEFAULT_RANGE,
  live: false,
  tenant: '',
  view: 'logs',
  dashboard: '',
  tz: '',
};

function parseView(value: string | null): View {
  // The server's share links say view=dashboard&dashboard=<uid>.
  if (value === 'dashboard') return 'dashboards';
  return (VIEWS as readonly string[]).includes(value ?? '') ? (value as View) : 'logs';
}

/** Whether a query string names a time range itself (else a dashboard shows its own). */
export function hasRangeParam(search: string): boolean {
  const p = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  return p.has('range') || (p.has('since') && p.has('until'));
}

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
    view: parseView(p.get('view')),
    dashboard: parseView(p.get('view')) === 'dashboards' ? p.get('dashboard') ?? '' : '',
    tz: isZoneMode(p.get('tz')) ? (p.get('tz') as ZoneMode) : '',
  };
}

/** Query string ('' or '?…') for a state; defaults are left out. */
export function serializeExplorerState(state: ExplorerState): string {
  const p = new URLSearchParams();
  const onDashboard = state.view === 'dashboards' && state.dashboard !== '';
  if (onDashboard) {
    p.set('view', 'dashboard');
    p.set('dashboard', state.dashboard);
  } else if (state.view !== 'logs') p.set('view', state.view);
  if (state.tenant) p.set('tenant', state.tenant);
  if (state.q.trim() && !onDashboard) p.set('q', state.q.trim());
  if (state.range.kind === 'relative') {
    // A dashboard link always names its range: without one it opens in the dashboard's own.
    if (onDashboard || state.range.preset !== (DEFAULT_RANGE as { preset: string }).preset) p.set('range', state.range.preset);
  } else {
    p.set('since', state.range.since);
    p.set('until', state.range.until);
  }
  if (state.live) p.set('live', '1');
  if (state.tz) p.set('tz', state.tz);
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

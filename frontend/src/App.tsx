import { useCallback, useEffect, useState } from 'react';
import { ApiError, errorMessage, getApps, getMe } from './api';
import { useLiveTail, type WebSocketFactory } from './live';
import { useLogSearch } from './useLogSearch';
import { EMPTY_FILTERS, type App as AppInfo, type LogFilters, type Me } from './types';
import { Header } from './components/Header';
import { FilterBar } from './components/FilterBar';
import { LiveToggle } from './components/LiveToggle';
import { LogList } from './components/LogList';
import { SignedOut } from './components/SignedOut';

type Session =
  | { kind: 'loading' }
  | { kind: 'ready'; me: Me }
  | { kind: 'signed-out' }
  | { kind: 'error'; message: string };

export interface AppProps {
  /** For tests: how the live feed opens its WebSocket. */
  createSocket?: WebSocketFactory;
}

export default function App({ createSocket }: AppProps = {}) {
  const [session, setSession] = useState<Session>({ kind: 'loading' });
  const [apps, setApps] = useState<AppInfo[]>([]);
  const [appsError, setAppsError] = useState<string | null>(null);
  const [filters, setFilters] = useState<LogFilters>(EMPTY_FILTERS);
  const [live, setLive] = useState(false);

  const signedOut = useCallback(() => {
    setLive(false);
    setSession({ kind: 'signed-out' });
  }, []);
  const { state, search, loadOlder, addLive } = useLogSearch(signedOut);
  const liveTail = useLiveTail(live && session.kind === 'ready', filters, addLive, createSocket);

  useEffect(() => {
    let cancelled = false;
    getMe()
      .then((me) => {
        if (cancelled) return;
        setSession({ kind: 'ready', me });
        void search(EMPTY_FILTERS);
        getApps()
          .then((r) => !cancelled && setApps(r.results))
          .catch((e) => !cancelled && setAppsError(`Apps: ${errorMessage(e)}`));
      })
      .catch((e) => {
        if (cancelled) return;
        if (e instanceof ApiError && e.isUnauthorized) setSession({ kind: 'signed-out' });
        else setSession({ kind: 'error', message: errorMessage(e) });
      });
    return () => {
      cancelled = true;
    };
  }, [search]);

  const onSearch = useCallback(
    (next: LogFilters) => {
      setFilters(next);
      void search(next);
    },
    [search],
  );

  const me = session.kind === 'ready' ? session.me : null;
  const filtered = filters.q !== '' || filters.level !== '' || filters.app !== '';

  return (
    <div className="app">
      <Header me={me} />
      <main className="app-main">
        {session.kind === 'loading' && (
          <div className="loading" data-testid="loading">
            Loading…
          </div>
        )}
        {session.kind === 'signed-out' && <SignedOut />}
        {session.kind === 'error' && (
          <div className="error-banner" role="alert" data-testid="error">
            {session.message}
          </div>
        )}
        {session.kind === 'ready' && (
          <>
            <div className="toolbar">
              <FilterBar value={filters} apps={apps} onSearch={onSearch} busy={state.loading} />
              <LiveToggle on={live} status={liveTail.status} error={liveTail.error} onChange={setLive} />
            </div>
            {appsError && (
              <div className="list-note" data-testid="apps-error">
                {appsError}
              </div>
            )}
            <LogList
              entries={state.entries}
              nextCursor={state.nextCursor}
              loading={state.loading}
              loadingOlder={state.loadingOlder}
              error={state.error}
              filtered={filtered}
              trimmed={state.trimmed}
              onLoadOlder={() => void loadOlder()}
            />
          </>
        )}
      </main>
    </div>
  );
}

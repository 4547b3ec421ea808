import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiError, errorMessage, getApps, getMe, setApiTenant, type SearchParams } from './api';
import { defaultTailUrl, useLiveTail, type WebSocketFactory } from './live';
import { useLogSearch } from './useLogSearch';
import { useUrlState } from './urlState';
import { useTheme } from './theme';
import { MAX_EXTRA_FACETS, useOverview } from './useOverview';
import { addAnyOf } from './facetQuery';
import { addTerm } from './query';
import { attributeKeysOf, attributeValuesOf, type SuggestContext } from './suggest';
import { resolveRange, type TimeRange } from './timeRange';
import type { Me } from './types';
import { Header, canManage, canWrite, roleOf } from './components/Header';
import { QueryBar } from './components/QueryBar';
import { TimeRangePicker } from './components/TimeRangePicker';
import { TimeZoneToggle } from './components/TimeZoneToggle';
import { FilterPills } from './components/FilterPills';
import { TimeZoneProvider, storeZoneMode, storedZoneMode, zoneState, type ZoneMode } from './timeZone';
import { LiveToggle } from './components/LiveToggle';
import { LogList, RESULTS_ID } from './components/LogList';
import { highlightRegex } from './highlight';
import { Histogram } from './components/Histogram';
import { FacetsPanel } from './components/FacetsPanel';
import { HitCount } from './components/HitCount';
import { SavedSearches } from './components/SavedSearches';
import { ExportLinks } from './components/ExportLinks';
import { AppsKeysPage } from './components/AppsKeysPage';
import { SignedOut } from './components/SignedOut';
import { AlertsPage } from './components/alerts/AlertsPage';
import { DashboardsPage } from './components/dashboards/DashboardsPage';
import { DashboardView } from './components/dashboards/DashboardView';
import { storedToRange } from './components/dashboards/layout';

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
  const [url, setUrl] = useUrlState();
  const [theme, setTheme] = useTheme();
  const [session, setSession] = useState<Session>({ kind: 'loading' });
  /** Bumped by every explicit search so re-running the same query refreshes a relative range. */
  const [runId, setRunId] = useState(0);

  const signedOut = useCallback(() => {
    setUrl({ live: false }, { replace: true });
    setSession({ kind: 'signed-out' });
  }, [setUrl]);
  const { state, search, loadOlder, addLive } = useLogSearch(signedOut);

  useEffect(() => {
    let cancelled = false;
    setApiTenant(url.tenant);
    getMe()
      .then((me) => !cancelled && setSession({ kind: 'ready', me }))
      .catch((e) => {
        if (cancelled) return;
        if (e instanceof ApiError && e.isUnauthorized) setSession({ kind: 'signed-out' });
        else setSession({ kind: 'error', message: errorMessage(e) });
      });
    return () => {
      cancelled = true;
    };
  }, [url.tenant]);

  const me = session.kind === 'ready' ? session.me : null;
  const ready = me !== null;
  const onLogs = ready && url.view === 'logs';

  const params: SearchParams = useMemo(() => {
    const r = resolveRange(url.range);
    return { q: url.q, since: r.since, until: r.until };
    // runId and the tenant re-resolve a relative range and re-run the same query.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [url.q, url.range, runId, me]);

  useEffect(() => {
    if (onLogs) void search(params);
  }, [onLogs, params, search]);

  const overview = useOverview(params, url.range, onLogs, url.live);
  const { histogram, facets, noteLive } = overview;
  const onLive = useCallback((batch: Parameters<typeof addLive>[0]) => {
    addLive(batch);
    noteLive(batch.length);
  }, [addLive, noteLive]);

  // The socket picks its tenant from ?tenant= (a person may belong to several).
  const tailUrl = url.tenant
    ? `${defaultTailUrl(window.location)}?tenant=${encodeURIComponent(url.tenant)}`
    : undefined;
  const liveTail = useLiveTail(url.live && onLogs, url.q, onLive, createSocket, tailUrl);

  const runQuery = useCallback(
    (q: string) => {
      setUrl({ q });
      setRunId((n) => n + 1);
    },
    [setUrl],
  );
  const setRange = useCallback((range: TimeRange) => setUrl({ range }), [setUrl]);
  const setDashboardRange = useCallback(
    (range: TimeRange, opts?: { replace?: boolean }) => setUrl({ range }, opts),
    [setUrl],
  );
  // The zone: a link's tz= wins, else the remembered choice.
  const [storedZone, setStoredZone] = useState<ZoneMode>(storedZoneMode);
  const zoneMode = url.tz || storedZone;
  const timeZone = useMemo(() => zoneState(zoneMode), [zoneMode]);
  const setZone = useCallback(
    (mode: ZoneMode) => {
      storeZoneMode(mode);
      setStoredZone(mode);
      setUrl({ tz: mode }, { replace: true });
    },
    [setUrl],
  );
  const zoom = useCallback((range: TimeRange) => setUrl({ range, live: false }), [setUrl]);

  // Autocomplete: app slugs (once per tenant), facet values, attribute keys/values of the loaded entries.
  const [appSlugs, setAppSlugs] = useState<string[]>([]);
  const tenantSlug = me?.tenant.slug ?? null;
  useEffect(() => {
    if (tenantSlug === null) return;
    let cancelled = false;
    getApps()
      .then((r) => !cancelled && setAppSlugs(r.results.map((a) => a.slug)))
      .catch(() => !cancelled && setAppSlugs([]));
    return () => {
      cancelled = true;
    };
  }, [tenantSlug]);
  const facetData = facets.data?.facets;
  const suggestions: SuggestContext = useMemo(() => {
    const sample = state.entries.slice(0, 1000);
    const values: Record<string, string[]> = attributeValuesOf(sample);
    for (const f of ['service', 'host']) values[f] = (facetData?.[f] ?? []).map((v) => v.value);
    const apps = [...appSlugs, ...(facetData?.app ?? []).map((v) => v.value)];
    return { apps, values, attributeKeys: attributeKeysOf(sample) };
  }, [appSlugs, facetData, state.entries]);

  const highlight = useMemo(() => highlightRegex(url.q), [url.q]);
  const filterBy = useCallback(
    (field: string, value: string, negate: boolean) => runQuery(addTerm(url.q, field, value, negate)),
    [runQuery, url.q],
  );

  const queryError =
    state.error && state.errorPosition !== null
      ? { message: state.error, position: state.errorPosition, expected: state.errorExpected }
      : null;

  return (
    <TimeZoneProvider value={timeZone}>
    <div className="app">
      {onLogs && (
        <a
          href={`#${RESULTS_ID}`}
          className="skip-link"
          data-testid="skip-link"
          onClick={(e) => {
            e.preventDefault(); // focus, without a #fragment in the URL
            document.getElementById(RESULTS_ID)?.focus();
          }}
        >
          Skip to results
        </a>
      )}
      <Header
        me={me}
        theme={theme}
        onTheme={setTheme}
        onTenant={(tenant) => setUrl({ tenant, live: false, dashboard: '' })}
        view={url.view}
        onView={(view) => setUrl({ view, dashboard: '' })}
      />
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
        {me && url.view === 'keys' && canManage(me) && <AppsKeysPage reloadKey={me.tenant.slug} />}
        {me && url.view === 'keys' && !canManage(me) && (
          <div className="list-note">Only owners and admins manage apps and keys.</div>
        )}
        {me && url.view === 'alerts' && (
          <AlertsPage canWrite={canWrite(me)} canManage={canManage(me)} tenant={me.tenant.slug} />
        )}
        {me && url.view === 'dashboards' && !url.dashboard && (
          <DashboardsPage
            canWrite={canWrite(me)}
            tenant={me.tenant.slug}
            onOpen={(dashboard, timeRange) => setUrl({ dashboard, range: storedToRange(timeRange), live: false })}
          />
        )}
        {me && url.view === 'dashboards' && url.dashboard && (
          <DashboardView
            key={`${me.tenant.slug}/${url.dashboard}`}
            uid={url.dashboard}
            range={url.range}
            onRange={setDashboardRange}
            onBack={() => setUrl({ dashboard: '' })}
            canWrite={canWrite(me)}
            tenant={me.tenant.slug}
            createSocket={createSocket}
            rangeExtra={<TimeZoneToggle onChange={setZone} />}
          />
        )}
        {onLogs && me && (
          <>
            <div className="toolbar">
              <QueryBar value={url.q} onSearch={runQuery} busy={state.loading} error={queryError} suggestions={suggestions} />
              <TimeRangePicker value={url.range} onChange={setRange} />
              <TimeZoneToggle onChange={setZone} />
              <LiveToggle
                on={url.live}
                status={liveTail.status}
                error={liveTail.error}
                onChange={(live) => setUrl({ live })}
                paused={liveTail.paused}
                onPause={liveTail.pause}
                onResume={liveTail.resume}
                rate={liveTail.rate}
                skipped={liveTail.skipped}
                onDismissSkipped={liveTail.clearSkipped}
              />
              <ExportLinks params={params} tenant={url.tenant} />
            </div>
            <FilterPills query={url.q} onChange={runQuery} />
            {/* An invalid query is reported once, at the query bar; the panels stay quiet. */}
            <Histogram
              data={queryError ? null : histogram.data}
              loading={histogram.loading}
              error={queryError ? null : histogram.error}
              onZoom={zoom}
              summary={queryError ? null : <HitCount {...overview.count} />}
            />
            <div className="explorer">
              <div className="sidebar">
                <FacetsPanel
                  facets={facets.data?.facets ?? null}
                  loading={facets.loading}
                  error={queryError ? null : facets.error}
                  fields={overview.fields}
                  onPick={(field, value, negate) => runQuery(addTerm(url.q, field, value, negate))}
                  onPickMany={(field, values, negate) => runQuery(addAnyOf(url.q, field, values, negate))}
                  attributeKeys={suggestions.attributeKeys}
                  onAddField={overview.extraFields.length < MAX_EXTRA_FACETS ? overview.addField : undefined}
                  onRemoveField={overview.removeField}
                />
                <SavedSearches
                  query={url.q}
                  range={url.range}
                  canWrite={roleOf(me) !== 'viewer'}
                  reloadKey={me.tenant.slug}
                  onOpen={(q, range) => {
                    setUrl({ q, range: range ?? url.range });
                    setRunId((n) => n + 1);
                  }}
                />
              </div>
              {/* Quiet while the query is invalid: its error shows at the query bar. */}
              {queryError && <section className="log-list" aria-label="Log entries" data-testid="results-on-hold" />}
              {!queryError && (
              <LogList
                entries={state.entries}
                nextCursor={state.nextCursor}
                loading={state.loading}
                loadingOlder={state.loadingOlder}
                error={state.error}
                filtered={url.q !== ''}
                trimmed={state.trimmed}
                live={url.live}
                onLoadOlder={loadOlder}
                highlight={highlight}
                onFilter={filterBy}
              />
              )}
            </div>
          </>
        )}
      </main>
    </div>
    </TimeZoneProvider>
  );
}

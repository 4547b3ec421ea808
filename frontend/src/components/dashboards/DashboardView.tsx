import { Suspense, lazy, useCallback, useEffect, useMemo, useState, type CSSProperties, type ReactNode } from 'react';
import { ApiError, deleteWidget, errorMessage, getApps, getDashboard, saveLayout, updateDashboard } from '../../api';
import type { WebSocketFactory } from '../../live';
import type { SuggestContext } from '../../suggest';
import { DASHBOARD_PRESETS, presetMs, type TimeRange } from '../../timeRange';
import type { Dashboard, Widget } from '../../types';
import { hasRangeParam } from '../../urlState';
import { TimeRangePicker } from '../TimeRangePicker';
import { MAX_HEIGHT, cellStyle, compact, nudge, rangeToStored, sameRange, sortWidgets, storedToRange, widthChoices, type Nudge, type Placed } from './layout';
import { WidgetCard, type RangeParam } from './WidgetCard';
import { WidgetForm } from './WidgetForm';

export interface DashboardViewProps {
  uid: string;
  /** The range in the URL (a shared link carries it). */
  range: TimeRange;
  onRange: (range: TimeRange, opts?: { replace?: boolean }) => void;
  onBack: () => void;
  canWrite: boolean;
  tenant: string;
  createSocket?: WebSocketFactory;
  /** Shown beside the range picker (the time zone switch). */
  rangeExtra?: ReactNode;
}

// Dragging and resizing (react-grid-layout) is downloaded on the first Edit layout, not with every page.
const LayoutEditor = lazy(() => import('./LayoutEditor').then((m) => ({ default: m.LayoutEditor })));

/** Where Save will put each widget. */
type Draft = Placed[];

/**
 * since/until for every widget. A relative range is resolved once (per range and per Refresh), so
 * all widgets count over exactly the same window (docs/dashboards.md) and a number agrees with a chart.
 */
export function rangeParam(range: TimeRange, now: number = Date.now()): RangeParam {
  if (range.kind === 'absolute') return { since: range.since, until: range.until };
  return { since: new Date(now - presetMs(range.preset)).toISOString(), until: new Date(now).toISOString() };
}

function describeError(e: unknown): string {
  if (e instanceof ApiError && e.isForbidden) return `Not allowed: ${e.message}`;
  return errorMessage(e);
}

/** One dashboard: its widgets on a 12-column grid, a range they share, the layout editor and the widget editor. */
export function DashboardView({ uid, range, onRange, onBack, canWrite, tenant, createSocket, rangeExtra }: DashboardViewProps) {
  const [dashboard, setDashboard] = useState<Dashboard | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [widgetForm, setWidgetForm] = useState<Widget | 'new' | null>(null);
  const [refresh, setRefresh] = useState(0);
  const [copied, setCopied] = useState<'no' | 'copied' | 'shown'>('no');
  const [renaming, setRenaming] = useState<string | null>(null);
  const [apps, setApps] = useState<string[]>([]);

  useEffect(() => {
    let cancelled = false;
    setDashboard(null);
    setLoadError(null);
    setDraft(null);
    getDashboard(uid)
      .then((d) => {
        if (cancelled) return;
        setDashboard(d);
        // A link without a range opens in the dashboard's own; the URL then names it, so it can be shared.
        if (!hasRangeParam(window.location.search)) onRange(storedToRange(d.time_range), { replace: true });
      })
      .catch((e) => {
        if (cancelled) return;
        setLoadError(e instanceof ApiError && e.status === 404 ? 'No such dashboard in this tenant.' : describeError(e));
      });
    getApps()
      .then((r) => !cancelled && setApps(r.results.map((a) => a.slug)))
      .catch(() => !cancelled && setApps([]));
    return () => {
      cancelled = true;
    };
    // onRange changes identity with the URL state; loading once per dashboard is what matters.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [uid]);

  // A copied link names the range it was copied with.
  useEffect(() => setCopied('no'), [range]);

  const suggestions: SuggestContext = useMemo(() => ({ apps }), [apps]);
  // refresh: a relative range means a later window after Refresh.
  const param = useMemo(() => rangeParam(range), [range, refresh]);

  const run = useCallback(async (fn: () => Promise<void>) => {
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(describeError(e));
    }
  }, []);

  if (loadError) {
    return (
      <div className="dashboard-view" data-testid="dashboard-view">
        <div className="error-banner" role="alert" data-testid="dashboard-error">
          {loadError}
        </div>
        <button type="button" className="link-button" onClick={onBack}>
          ← All dashboards
        </button>
      </div>
    );
  }
  if (!dashboard) return <div className="loading">Loading…</div>;

  const byId = new Map(dashboard.widgets.map((w) => [w.id, w]));
  const stored = storedToRange(dashboard.time_range);

  const nudgeItem = (id: number, change: Nudge) => setDraft((d) => (d ? nudge(d, id, change) : d));

  const removeWidget = (widget: Widget) => {
    if (!window.confirm(`Remove the widget “${widget.title || widget.query || widget.kind}”?`)) return;
    void run(async () => {
      await deleteWidget(uid, widget.id);
      setDashboard((d) => (d ? { ...d, widgets: d.widgets.filter((w) => w.id !== widget.id) } : d));
      setDraft((d) => (d ? d.filter((item) => item.id !== widget.id) : d));
    });
  };

  // The keyboard's way to do what dragging does; each step lands where a drag would.
  const controls = (widget: Widget, index: number) => {
    if (!draft) return null;
    const item = draft[index];
    const name = widget.title || widget.query || widget.kind;
    return (
      <div className="widget-controls" data-testid="widget-controls" role="group" aria-label={`Layout of ${name}`}>
        <button type="button" aria-label="Move left" data-testid="widget-left" disabled={item.x === 0} onClick={() => nudgeItem(item.id, { dx: -1 })}>
          ←
        </button>
        <button type="button" aria-label="Move up" data-testid="widget-up" disabled={item.y === 0} onClick={() => nudgeItem(item.id, { dy: -1 })}>
          ↑
        </button>
        <button type="button" aria-label="Move down" data-testid="widget-down" onClick={() => nudgeItem(item.id, { dy: 1 })}>
          ↓
        </button>
        <button
          type="button"
          aria-label="Move right"
          data-testid="widget-right"
          disabled={item.x + item.w >= 12}
          onClick={() => nudgeItem(item.id, { dx: 1 })}
        >
          →
        </button>
        <select aria-label="Width" data-testid="widget-w" value={item.w} onChange={(e) => nudgeItem(item.id, { dw: Number(e.target.value) - item.w })}>
          {widthChoices(item.w).map(([w, label]) => (
            <option key={w} value={w}>
              {label}
            </option>
          ))}
        </select>
        <select aria-label="Height" data-testid="widget-h" value={item.h} onChange={(e) => nudgeItem(item.id, { dh: Number(e.target.value) - item.h })}>
          {Array.from({ length: Math.max(MAX_HEIGHT, item.h) }, (_, i) => i + 1).map((h) => (
            <option key={h} value={h}>
              {h} rows
            </option>
          ))}
        </select>
        <button type="button" data-testid="widget-edit" onClick={() => setWidgetForm(widget)}>
          Edit
        </button>
        <button type="button" data-testid="widget-remove" onClick={() => removeWidget(widget)}>
          Remove
        </button>
      </div>
    );
  };

  const card = (widget: Widget, index: number, style?: CSSProperties) => (
    <WidgetCard
      key={widget.id}
      uid={uid}
      widget={widget}
      range={param}
      live={range.kind === 'relative'}
      tenant={tenant}
      createSocket={createSocket}
      style={style}
      controls={controls(widget, index)}
    />
  );

  return (
    <div className="dashboard-view" data-testid="dashboard-view" data-uid={dashboard.uid}>
      <div className="page-head">
        <button type="button" className="link-button" onClick={onBack} data-testid="dashboards-back">
          ← All dashboards
        </button>
        {renaming === null ? (
          <h2 data-testid="dashboard-name">{dashboard.name}</h2>
        ) : (
          <form
            className="inline-form"
            onSubmit={(ev) => {
              ev.preventDefault();
              if (!renaming.trim()) return;
              void run(async () => {
                const d = await updateDashboard(uid, { name: renaming.trim() });
                setDashboard((cur) => (cur ? { ...cur, name: d.name } : cur));
                setRenaming(null);
              });
            }}
          >
            <input aria-label="Dashboard name" data-testid="dashboard-rename-input" value={renaming} onChange={(e) => setRenaming(e.target.value)} />
            <button type="submit">Save</button>
            <button type="button" className="link-button" onClick={() => setRenaming(null)}>
              Cancel
            </button>
          </form>
        )}
        {canWrite && renaming === null && (
          <button type="button" className="link-button" data-testid="dashboard-rename" onClick={() => setRenaming(dashboard.name)}>
            Rename
          </button>
        )}
        <span className="header-spacer" />
        {copied === 'shown' ? (
          <input className="wide-input" readOnly aria-label="Link to this view" data-testid="share-link" value={window.location.href} onFocus={(e) => e.target.select()} />
        ) : (
          <button
            type="button"
            data-testid="copy-link"
            title="Copy a link to this dashboard with this time range"
            onClick={() => {
              // No clipboard outside secure contexts (plain http on another host): show the link to copy by hand.
              if (!navigator.clipboard) setCopied('shown');
              else navigator.clipboard.writeText(window.location.href).then(() => setCopied('copied'), () => setCopied('shown'));
            }}
          >
            {copied === 'copied' ? 'Link copied' : 'Copy link'}
          </button>
        )}
      </div>
      {dashboard.description && <p className="list-note">{dashboard.description}</p>}
      <div className="toolbar">
        <TimeRangePicker value={range} onChange={(r) => onRange(r)} presets={DASHBOARD_PRESETS} />
        {rangeExtra}
        <button type="button" data-testid="dashboard-refresh" onClick={() => setRefresh((n) => n + 1)}>
          Refresh
        </button>
        {canWrite && !sameRange(range, stored) && (
          <button
            type="button"
            data-testid="save-range"
            title="Open this dashboard in this range by default"
            onClick={() =>
              void run(async () => {
                const d = await updateDashboard(uid, { time_range: rangeToStored(range) });
                setDashboard((cur) => (cur ? { ...cur, time_range: d.time_range } : cur));
              })
            }
          >
            Make this range the default
          </button>
        )}
        <span className="header-spacer" />
        {canWrite && !draft && (
          <>
            <button type="button" data-testid="add-widget" onClick={() => setWidgetForm('new')} disabled={widgetForm !== null}>
              Add widget
            </button>
            <button
              type="button"
              data-testid="edit-layout"
              disabled={dashboard.widgets.length === 0}
              onClick={() => setDraft(compact(dashboard.widgets.map(({ id, x, y, w, h }) => ({ id, x, y, w, h }))))}
            >
              Edit layout
            </button>
          </>
        )}
        {draft && (
          <>
            <button
              type="button"
              className="primary-button"
              data-testid="save-layout"
              onClick={() =>
                void run(async () => {
                  const d = await saveLayout(uid, draft);
                  setDashboard(d);
                  setDraft(null);
                })
              }
            >
              Save layout
            </button>
            <button type="button" className="link-button" data-testid="cancel-layout" onClick={() => setDraft(null)}>
              Cancel
            </button>
          </>
        )}
      </div>
      {!canWrite && <p className="list-note">Viewers see dashboards; members, admins and owners change them.</p>}
      {error && (
        <div className="error-banner" role="alert" data-testid="dashboard-action-error">
          {error}
        </div>
      )}
      {widgetForm && (
        <WidgetForm
          key={widgetForm === 'new' ? 'new' : widgetForm.id}
          uid={uid}
          widget={widgetForm === 'new' ? null : widgetForm}
          suggestions={suggestions}
          onCancel={() => setWidgetForm(null)}
          onSaved={(saved) => {
            setWidgetForm(null);
            setDashboard((d) => {
              if (!d) return d;
              const exists = d.widgets.some((w) => w.id === saved.id);
              return { ...d, widgets: exists ? d.widgets.map((w) => (w.id === saved.id ? saved : w)) : [...d.widgets, saved] };
            });
            setDraft((d) => (d && !d.some((item) => item.id === saved.id) ? compact([...d, { id: saved.id, x: saved.x, y: saved.y, w: saved.w, h: saved.h }]) : d));
          }}
        />
      )}
      {dashboard.widgets.length === 0 ? (
        <div className="empty-state" data-testid="dashboard-empty">
          <h2>No widgets yet</h2>
          <p>{canWrite ? 'Add a widget: a chart, a top-values table, a number or live log lines, each from a query.' : 'Nobody has added a widget yet.'}</p>
        </div>
      ) : draft ? (
        <Suspense fallback={<div className="loading">Loading the layout editor…</div>}>
          <LayoutEditor cells={draft} onChange={setDraft}>
            {(cell) => card({ ...byId.get(cell.id)!, ...cell }, draft.findIndex((item) => item.id === cell.id))}
          </LayoutEditor>
        </Suspense>
      ) : (
        <div className="dashboard-grid" data-testid="dashboard-grid">
          {sortWidgets(dashboard.widgets).map((widget, index) => card(widget, index, cellStyle(widget)))}
        </div>
      )}
    </div>
  );
}

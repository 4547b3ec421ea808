import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError, createDashboard, deleteDashboard, errorMessage, listDashboards, updateDashboard } from '../../api';
import { useFormatTime } from '../../timeZone';
import { DEFAULT_STATE, serializeExplorerState } from '../../urlState';
import type { DashboardSummary, StoredRange } from '../../types';
import { storedToRange } from './layout';

export interface DashboardsPageProps {
  canWrite: boolean;
  tenant: string;
  onOpen: (uid: string, timeRange: StoredRange) => void;
}

function describeError(e: unknown): string {
  if (e instanceof ApiError && e.isForbidden) return `Not allowed: ${e.message}`;
  return errorMessage(e);
}

/** The link that opens a dashboard in its own range (what "Copy link" on the dashboard gives too). */
export function dashboardHref(d: Pick<DashboardSummary, 'uid' | 'time_range'>, tenant: string): string {
  return `/${serializeExplorerState({ ...DEFAULT_STATE, view: 'dashboards', dashboard: d.uid, tenant, range: storedToRange(d.time_range) })}`;
}

function rangeText(r: StoredRange, formatTime: (iso: string) => string): string {
  return 'range' in r ? `last ${r.range}` : `${formatTime(r.since).slice(0, 16)} → ${formatTime(r.until).slice(0, 16)}`;
}

/** The tenant's dashboards: open, create, rename, delete. */
export function DashboardsPage({ canWrite, tenant, onOpen }: DashboardsPageProps) {
  const formatTime = useFormatTime();
  const [items, setItems] = useState<DashboardSummary[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [renaming, setRenaming] = useState<{ uid: string; name: string } | null>(null);

  const reload = useCallback(() => {
    listDashboards()
      .then((list) => {
        setItems(list);
        setLoadError(null);
      })
      .catch((e) => setLoadError(describeError(e)));
  }, []);
  useEffect(() => {
    setItems(null);
    reload();
  }, [reload, tenant]);

  const run = async (fn: () => Promise<void>) => {
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(describeError(e));
    }
  };

  const create = (ev: FormEvent) => {
    ev.preventDefault();
    if (!name.trim()) return;
    void run(async () => {
      const d = await createDashboard({ name: name.trim() });
      setName('');
      onOpen(d.uid, d.time_range);
    });
  };

  const rename = (ev: FormEvent) => {
    ev.preventDefault();
    if (!renaming || !renaming.name.trim()) return;
    void run(async () => {
      const d = await updateDashboard(renaming.uid, { name: renaming.name.trim() });
      setItems((list) => (list ?? []).map((x) => (x.uid === d.uid ? { ...x, name: d.name, updated_at: d.updated_at } : x)));
      setRenaming(null);
    });
  };

  const remove = (d: DashboardSummary) => {
    if (!window.confirm(`Delete the dashboard “${d.name}” and its widgets?`)) return;
    void run(async () => {
      await deleteDashboard(d.uid);
      setItems((list) => (list ?? []).filter((x) => x.uid !== d.uid));
    });
  };

  return (
    <div className="dashboards-page" data-testid="dashboards-page">
      <div className="page-head">
        <h2>Dashboards</h2>
      </div>
      {loadError && (
        <div className="error-banner" role="alert" data-testid="dashboards-error">
          {loadError}
        </div>
      )}
      {error && (
        <div className="error-banner" role="alert" data-testid="dashboards-action-error">
          {error}
        </div>
      )}
      {items === null && !loadError && <div className="loading">Loading…</div>}
      {items?.length === 0 && <div className="list-note">No dashboards yet.</div>}
      {items && items.length > 0 && (
        <div className="table-scroll">
          <table className="keys-table" data-testid="dashboards-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Widgets</th>
                <th>Range</th>
                <th>Updated</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.uid} data-testid="dashboard-row" data-uid={d.uid}>
                  <td>
                    {renaming?.uid === d.uid ? (
                      <form className="inline-form" onSubmit={rename}>
                        <input aria-label="New name" data-testid="dashboard-rename-input" value={renaming.name} onChange={(e) => setRenaming({ uid: d.uid, name: e.target.value })} />
                        <button type="submit" data-testid="dashboard-rename-save">
                          Save
                        </button>
                        <button type="button" className="link-button" onClick={() => setRenaming(null)}>
                          Cancel
                        </button>
                      </form>
                    ) : (
                      <a
                        href={dashboardHref(d, tenant)}
                        data-testid="dashboard-open"
                        onClick={(e) => {
                          if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
                          e.preventDefault();
                          onOpen(d.uid, d.time_range);
                        }}
                      >
                        {d.name}
                      </a>
                    )}
                    {d.description && <div className="list-note">{d.description}</div>}
                  </td>
                  <td>{d.widget_count}</td>
                  <td>{rangeText(d.time_range, formatTime)}</td>
                  <td>{formatTime(d.updated_at).slice(0, 16)}</td>
                  <td className="key-actions">
                    {canWrite && renaming?.uid !== d.uid && (
                      <>
                        <button type="button" data-testid="dashboard-rename" onClick={() => setRenaming({ uid: d.uid, name: d.name })}>
                          Rename
                        </button>{' '}
                        <button type="button" data-testid="dashboard-delete" onClick={() => remove(d)}>
                          Delete
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canWrite ? (
        <form className="inline-form" onSubmit={create}>
          <input aria-label="Dashboard name" placeholder="New dashboard name" value={name} onChange={(e) => setName(e.target.value)} data-testid="new-dashboard-name" />
          <button type="submit" data-testid="create-dashboard">
            Create dashboard
          </button>
        </form>
      ) : (
        <p className="list-note">Viewers see dashboards; members, admins and owners create and change them.</p>
      )}
    </div>
  );
}

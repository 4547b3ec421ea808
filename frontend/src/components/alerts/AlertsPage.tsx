import { Fragment, useCallback, useEffect, useState } from 'react';
import { ApiError, deleteRule, errorMessage, getApps, listChannels, listRules, updateRule } from '../../api';
import { formatCount, formatDuration } from '../../format';
import { useFormatTime } from '../../timeZone';
import type { SuggestContext } from '../../suggest';
import type { AlertRule, Channel } from '../../types';
import { MuteControl } from './MuteControl';
import { RuleForm } from './RuleForm';
import { RuleHistory } from './RuleHistory';
import { StateBadge } from './StateBadge';
import { ChannelsPanel } from './ChannelsPanel';

export interface AlertsPageProps {
  /** Members and up create, edit, mute and delete rules. */
  canWrite: boolean;
  /** Owners and admins manage channels. */
  canManage: boolean;
  /** The tenant's slug: reloads on change, and goes into explorer links. */
  tenant: string;
  /** How often the states refresh while the page is open (0: never). */
  refreshMs?: number;
}

const STATE_ORDER: Record<string, number> = { firing: 0, resolved: 1, ok: 2 };

/** Firing rules first, then by name. */
export function sortRules(rules: AlertRule[]): AlertRule[] {
  return [...rules].sort((a, b) => (STATE_ORDER[a.state] ?? 3) - (STATE_ORDER[b.state] ?? 3) || a.name.localeCompare(b.name));
}

function describeError(e: unknown): string {
  if (e instanceof ApiError && e.isForbidden) return `Not allowed: ${e.message}`;
  return errorMessage(e);
}

/** The tenant's alert rules with their state, the editor, mute, history per rule, and the notification channels. */
export function AlertsPage({ canWrite, canManage, tenant, refreshMs = 30_000 }: AlertsPageProps) {
  const formatTime = useFormatTime();
  const [rules, setRules] = useState<AlertRule[] | null>(null);
  const [channels, setChannels] = useState<Channel[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<AlertRule | 'new' | null>(null);
  const [historyOf, setHistoryOf] = useState<number | null>(null);
  const [apps, setApps] = useState<string[]>([]);

  const reload = useCallback(() => {
    Promise.all([listRules(), listChannels()])
      .then(([r, c]) => {
        setRules(r);
        setChannels(c);
        setLoadError(null);
      })
      .catch((e) => setLoadError(describeError(e)));
  }, []);

  useEffect(() => {
    setRules(null);
    setEditing(null);
    setHistoryOf(null);
    reload();
    getApps()
      .then((r) => setApps(r.results.map((a) => a.slug)))
      .catch(() => setApps([]));
  }, [reload, tenant]);

  useEffect(() => {
    if (!refreshMs) return;
    const timer = setInterval(reload, refreshMs);
    return () => clearInterval(timer);
  }, [reload, refreshMs]);

  const suggestions: SuggestContext = { apps };

  const run = async (fn: () => Promise<void>) => {
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(describeError(e));
    }
  };
  const replace = (rule: AlertRule) => setRules((list) => (list ?? []).map((r) => (r.id === rule.id ? rule : r)));

  const mute = (rule: AlertRule, mutedUntil: string | null) =>
    void run(async () => replace(await updateRule(rule.id, { muted_until: mutedUntil })));

  const remove = (rule: AlertRule) => {
    if (!window.confirm(`Delete the rule “${rule.name}” and its history?`)) return;
    void run(async () => {
      await deleteRule(rule.id);
      setRules((list) => (list ?? []).filter((r) => r.id !== rule.id));
    });
  };

  return (
    <div className="alerts-page" data-testid="alerts-page">
      <div className="page-head">
        <h2>Alert rules</h2>
        <button type="button" onClick={reload} data-testid="alerts-refresh">
          Refresh
        </button>
        {canWrite && (
          <button type="button" className="primary-button" onClick={() => setEditing('new')} data-testid="new-rule" disabled={editing !== null}>
            New rule
          </button>
        )}
      </div>
      {!canWrite && (
        <p className="list-note" data-testid="read-only-note">
          You can read the rules and their history; members, admins and owners change them.
        </p>
      )}
      {loadError && (
        <div className="error-banner" role="alert" data-testid="alerts-error">
          {loadError}
        </div>
      )}
      {error && (
        <div className="error-banner" role="alert" data-testid="alerts-action-error">
          {error}
        </div>
      )}
      {editing && (
        <RuleForm
          key={editing === 'new' ? 'new' : editing.id}
          rule={editing === 'new' ? null : editing}
          channels={channels}
          suggestions={suggestions}
          onCancel={() => setEditing(null)}
          onSaved={(saved) => {
            setEditing(null);
            setRules((list) => (list?.some((r) => r.id === saved.id) ? list.map((r) => (r.id === saved.id ? saved : r)) : [...(list ?? []), saved]));
          }}
        />
      )}
      {rules === null && !loadError && <div className="loading">Loading…</div>}
      {rules?.length === 0 && <div className="list-note">No alert rules yet.</div>}
      {rules && rules.length > 0 && (
        <div className="table-scroll">
          <table className="keys-table rules-table" data-testid="rules-table">
            <thead>
              <tr>
                <th>Rule</th>
                <th>State</th>
                <th>Condition</th>
                <th>Last evaluation</th>
                <th>Muted</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {sortRules(rules).map((r) => (
                <Fragment key={r.id}>
                  <tr data-testid="rule-row" data-rule-id={r.id} data-state={r.state} className={r.enabled ? '' : 'disabled-row'}>
                    <td>
                      <strong data-testid="rule-name-cell">{r.name}</strong>
                      {!r.enabled && <span className="list-note"> (disabled)</span>}
                      {r.description && <div className="list-note">{r.description}</div>}
                      {r.query && (
                        <div>
                          <code className="rule-query-text">{r.query}</code>
                        </div>
                      )}
                    </td>
                    <td>
                      <StateBadge state={r.state} />
                      {r.state_changed_at && <div className="list-note">since {formatTime(r.state_changed_at).slice(0, 16)}</div>}
                    </td>
                    <td data-testid="rule-condition">
                      {r.condition} in {formatDuration(r.window_seconds)}
                      <div className="list-note">every {formatDuration(r.interval_seconds)}</div>
                    </td>
                    <td data-testid="rule-last-evaluation">
                      {r.last_evaluated_at ? (
                        <>
                          {formatTime(r.last_evaluated_at).slice(0, 19)}
                          {r.last_count !== null && <div className="list-note">{formatCount(r.last_count)} lines</div>}
                        </>
                      ) : (
                        <span className="list-note">not yet</span>
                      )}
                      {r.last_error && (
                        <div className="field-error" data-testid="rule-last-error">
                          {r.last_error}
                        </div>
                      )}
                    </td>
                    <td>
                      <MuteControl mutedUntil={r.muted_until} disabled={!canWrite} onChange={(until) => mute(r, until)} />
                    </td>
                    <td className="key-actions">
                      <button type="button" data-testid="rule-history-toggle" aria-expanded={historyOf === r.id} onClick={() => setHistoryOf(historyOf === r.id ? null : r.id)}>
                        History
                      </button>{' '}
                      {canWrite && (
                        <>
                          <button type="button" data-testid="edit-rule" onClick={() => setEditing(r)} disabled={editing !== null}>
                            Edit
                          </button>{' '}
                          <button type="button" data-testid="delete-rule" onClick={() => remove(r)}>
                            Delete
                          </button>
                        </>
                      )}
                    </td>
                  </tr>
                  {historyOf === r.id && (
                    <tr className="history-row">
                      <td colSpan={6}>
                        <RuleHistory ruleId={r.id} tenant={tenant} reloadKey={r.state_changed_at} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ChannelsPanel channels={channels} canManage={canManage} onChange={setChannels} />
    </div>
  );
}

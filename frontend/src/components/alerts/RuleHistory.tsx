import { useCallback, useEffect, useState } from 'react';
import { errorMessage, listAlertEvents } from '../../api';
import { formatCount } from '../../format';
import { useFormatTime } from '../../timeZone';
import { DEFAULT_STATE, serializeExplorerState } from '../../urlState';
import type { AlertEvent } from '../../types';
import { LevelBadge } from '../LevelBadge';
import { StateBadge } from './StateBadge';

const PAGE = 20;

/** The explorer, in this page, on the event's query and window (the same tenant as now). */
export function explorerLink(event: AlertEvent, tenant: string): string {
  return `/${serializeExplorerState({
    ...DEFAULT_STATE,
    q: event.query,
    tenant,
    range: { kind: 'absolute', since: event.window.since, until: event.window.until },
  })}`;
}

export interface RuleHistoryProps {
  ruleId: number;
  tenant: string;
  /** Bumps to reload (e.g. after the rule was edited). */
  reloadKey?: unknown;
}

/** A rule's state changes, newest first: what the window held, sample lines, where notifications went. */
export function RuleHistory({ ruleId, tenant, reloadKey }: RuleHistoryProps) {
  const formatTime = useFormatTime();
  const [events, setEvents] = useState<AlertEvent[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    (after: string | null) => {
      listAlertEvents({ rule: ruleId, cursor: after, limit: PAGE })
        .then((page) => {
          setEvents((list) => (after ? [...(list ?? []), ...page.results] : page.results));
          setCursor(page.next_cursor);
          setError(null);
        })
        .catch((e) => setError(errorMessage(e)));
    },
    [ruleId],
  );
  useEffect(() => {
    setEvents(null);
    load(null);
  }, [load, reloadKey]);

  return (
    <div className="rule-history" data-testid="rule-history">
      {error && (
        <div className="error-banner" role="alert">
          {error}
        </div>
      )}
      {events === null && !error && <div className="loading">Loading…</div>}
      {events?.length === 0 && <div className="list-note">No state changes yet: the rule has stayed OK.</div>}
      <ol className="event-list">
        {events?.map((ev) => (
          <li key={ev.id} className="alert-event" data-testid="alert-event" data-state={ev.state}>
            <div className="alert-event-head">
              <span className="log-time">{formatTime(ev.at)}</span> <StateBadge state={ev.previous_state} /> →{' '}
              <StateBadge state={ev.state} />{' '}
              <span data-testid="event-count">
                {formatCount(ev.count)} line{ev.count === 1 ? '' : 's'}
              </span>{' '}
              <span className="list-note">
                ({ev.condition}) in {formatTime(ev.window.since).slice(11, 19)}–{formatTime(ev.window.until).slice(11, 19)}
              </span>
              {ev.muted && <span className="muted-flag"> muted: nothing sent</span>}{' '}
              <a href={explorerLink(ev, tenant)} data-testid="event-explorer-link">
                Open in explorer
              </a>
            </div>
            {ev.new_values.length > 0 && (
              <div className="event-values">
                New values: <code>{ev.new_values.join(', ')}</code>
              </div>
            )}
            {ev.samples.length > 0 && (
              <ul className="event-samples" data-testid="event-samples">
                {ev.samples.map((s) => (
                  <li key={s.id}>
                    <LevelBadge level={s.level} /> <span className="log-message">{s.message}</span>
                  </li>
                ))}
              </ul>
            )}
            {ev.deliveries.length > 0 && (
              <div className="event-deliveries">
                {ev.deliveries.map((d) => (
                  <span key={d.id} className={`delivery delivery-${d.status}`} data-testid="event-delivery" title={d.last_error || undefined}>
                    {d.channel.name}: {d.status}
                    {d.attempts > 1 ? ` after ${d.attempts} attempts` : ''}
                  </span>
                ))}
              </div>
            )}
          </li>
        ))}
      </ol>
      {cursor && (
        <button type="button" onClick={() => load(cursor)} data-testid="history-more">
          Older
        </button>
      )}
    </div>
  );
}

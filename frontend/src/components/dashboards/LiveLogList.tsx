import { useCallback, useEffect, useState } from 'react';
import { useFormatTime } from '../../timeZone';
import { defaultTailUrl, useLiveTail, type WebSocketFactory } from '../../live';
import type { LogEntry } from '../../types';
import { LevelBadge } from '../LevelBadge';

export interface LiveLogListProps {
  /** The newest lines of the range (the widget's data), newest first. */
  entries: LogEntry[];
  query: string;
  /** Follow new lines over the live tail (a relative range: it ends now). */
  live: boolean;
  limit: number;
  tenant?: string;
  createSocket?: WebSocketFactory;
}

/** The widget's newest lines; while the range ends now, new matching lines arrive over the live tail. */
export function LiveLogList({ entries, query, live, limit, tenant = '', createSocket }: LiveLogListProps) {
  const formatTime = useFormatTime();
  const [rows, setRows] = useState<LogEntry[]>(entries);
  useEffect(() => setRows(entries), [entries]);

  const onEntries = useCallback(
    (batch: LogEntry[]) =>
      setRows((current) => {
        // The tail sends oldest first; the list shows newest first, without repeats of what the fetch already had.
        const seen = new Set(current.map((e) => e.id));
        const fresh = batch.filter((e) => !seen.has(e.id)).reverse();
        return [...fresh, ...current].slice(0, limit);
      }),
    [limit],
  );
  const tailUrl = tenant ? `${defaultTailUrl(window.location)}?tenant=${encodeURIComponent(tenant)}` : undefined;
  const tail = useLiveTail(live, query, onEntries, createSocket, tailUrl);

  return (
    <div className="widget-log-list" data-testid="widget-log-list">
      {live && (
        <div className={`live-status status-${tail.status}`} data-testid="widget-live-status" data-status={tail.status}>
          {tail.status === 'live' ? '● live' : tail.status}
          {tail.error && <span className="live-error"> {tail.error}</span>}
        </div>
      )}
      {rows.length === 0 ? (
        <div className="list-note">No lines in this range</div>
      ) : (
        <ul className="widget-log-rows">
          {rows.map((e) => (
            <li key={e.id} className="widget-log-row" data-testid="widget-log-row" data-id={e.id}>
              <span className="log-time">{formatTime(e.time).slice(11, 23)}</span> <LevelBadge level={e.level} />{' '}
              <span className="log-message">{e.message}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

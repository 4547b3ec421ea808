import type { LogEntry } from '../types';
import { MAX_ROWS } from '../logStore';
import { EmptyState } from './EmptyState';
import { LogRow } from './LogRow';

export interface LogListProps {
  entries: LogEntry[];
  nextCursor: string | null;
  loading?: boolean;
  loadingOlder?: boolean;
  error?: string | null;
  filtered?: boolean;
  trimmed?: boolean;
  onLoadOlder: () => void;
}

export function LogList({
  entries,
  nextCursor,
  loading = false,
  loadingOlder = false,
  error = null,
  filtered = false,
  trimmed = false,
  onLoadOlder,
}: LogListProps) {
  const showEmpty = !loading && !error && entries.length === 0;
  return (
    <section className="log-list" aria-label="Log entries" aria-busy={loading}>
      {error && (
        <div className="error-banner" role="alert" data-testid="error">
          {error}
        </div>
      )}
      {loading && (
        <div className="loading" data-testid="loading">
          Loading…
        </div>
      )}
      {showEmpty && <EmptyState filtered={filtered} />}
      {entries.length > 0 && (
        <ul className="log-rows" data-testid="log-rows">
          {entries.map((entry) => (
            <LogRow key={entry.id} entry={entry} />
          ))}
        </ul>
      )}
      {trimmed && (
        <div className="list-note" data-testid="trimmed-note">
          Showing the newest {MAX_ROWS.toLocaleString('en-US')} entries. Search again to page through older ones.
        </div>
      )}
      {nextCursor !== null && entries.length > 0 && (
        <div className="load-older-wrap">
          <button
            type="button"
            className="load-older"
            data-testid="load-older"
            onClick={onLoadOlder}
            disabled={loadingOlder || loading}
          >
            {loadingOlder ? 'Loading…' : 'Load older'}
          </button>
        </div>
      )}
    </section>
  );
}

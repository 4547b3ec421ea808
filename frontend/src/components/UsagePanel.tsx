import { useEffect, useState } from 'react';
import { errorMessage, getUsage } from '../api';
import { formatBytes, formatCount } from '../format';
import type { Usage } from '../types';

const UNKNOWN = 'unknown';

/** Today's (UTC) ingest against the tenant's limits, from GET /api/v1/usage. */
export function UsagePanel({ reloadKey = '' }: { reloadKey?: string }) {
  const [usage, setUsage] = useState<Usage | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    setUsage(null);
    getUsage()
      .then((u) => !cancelled && (setUsage(u), setError(null)))
      .catch((e) => !cancelled && setError(errorMessage(e)));
    return () => {
      cancelled = true;
    };
  }, [reloadKey]);

  // The counters live in a store the server may not reach; then today's figures are unknown, not zero.
  const known = usage?.available === true;
  const limit = usage?.limits.bytes_per_day ?? null;
  const rate = usage?.limits.lines_per_second ?? null;
  return (
    <section className="usage-panel" data-testid="usage">
      <h2>Usage today{usage?.day ? <span className="usage-day"> ({usage.day}, UTC)</span> : null}</h2>
      {error && (
        <div className="error-banner" role="alert" data-testid="usage-error">
          {error}
        </div>
      )}
      {!usage && !error && <div className="loading">Loading…</div>}
      {usage && (
        <dl className="usage-figures">
          <div>
            <dt>Lines</dt>
            <dd data-testid="usage-lines">{known && usage.lines !== null ? formatCount(usage.lines) : UNKNOWN}</dd>
          </div>
          <div>
            <dt>Bytes</dt>
            <dd data-testid="usage-bytes">{known && usage.bytes !== null ? formatBytes(usage.bytes) : UNKNOWN}</dd>
          </div>
          <div>
            <dt>Daily limit</dt>
            <dd data-testid="usage-limit">{limit === null ? 'no limit' : formatBytes(limit)}</dd>
          </div>
          <div>
            <dt>Remaining today</dt>
            <dd data-testid="usage-remaining">
              {limit === null ? 'no limit' : known && usage.bytes_remaining !== null ? formatBytes(usage.bytes_remaining) : UNKNOWN}
            </dd>
          </div>
          <div>
            <dt>Rate limit</dt>
            <dd data-testid="usage-rate">{rate === null ? 'no limit' : `${formatCount(rate)} lines/s`}</dd>
          </div>
        </dl>
      )}
      {usage && known && limit !== null && usage.bytes !== null && (
        <meter
          className="usage-meter"
          data-testid="usage-meter"
          min={0}
          max={limit}
          low={limit * 0.8}
          high={limit * 0.95}
          optimum={0}
          value={Math.min(usage.bytes, limit)}
          aria-label="Bytes used of the daily limit"
        />
      )}
    </section>
  );
}

import type { CountResponse } from '../types';

export interface HitCountProps {
  data: CountResponse | null;
  loading?: boolean;
  error?: string | null;
}

/** "1,234 lines", or "more than 10,000 lines" when the server stopped counting at its bound. */
export function hitCountText(data: CountResponse): string {
  const n = (data.exact ? data.count : data.bound).toLocaleString('en-US');
  const unit = data.exact && data.count === 1 ? 'line' : 'lines';
  return data.exact ? `${n} ${unit}` : `more than ${n} ${unit}`;
}

/** How many lines the search matches; the list never waits for it. */
export function HitCount({ data, loading = false, error = null }: HitCountProps) {
  if (error) return <span className="hit-count hit-count-error" title={error}>count unavailable</span>;
  if (!data) return <span className="hit-count" aria-busy={loading}>{loading ? 'counting…' : ''}</span>;
  return (
    <span className="hit-count" data-testid="hit-count" aria-live="polite" aria-busy={loading}>
      {hitCountText(data)}
    </span>
  );
}

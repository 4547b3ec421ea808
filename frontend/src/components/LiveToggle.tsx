import type { LiveStatus } from '../live';

export interface LiveToggleProps {
  on: boolean;
  status: LiveStatus;
  error?: string | null;
  onChange: (on: boolean) => void;
  paused?: boolean;
  onPause?: () => void;
  onResume?: () => void;
  /** Lines per second arriving. */
  rate?: number;
  /** Lines the server skipped for this client. */
  skipped?: number;
  onDismissSkipped?: () => void;
}

const STATUS_TEXT: Record<LiveStatus, string> = {
  off: 'off',
  connecting: 'connecting',
  live: 'live',
  reconnecting: 'reconnecting',
  stopped: 'stopped',
};

export function formatRate(rate: number): string {
  if (rate >= 100) return `${Math.round(rate)} lines/s`;
  return `${rate.toFixed(1)} lines/s`;
}

export function LiveToggle({
  on,
  status,
  error = null,
  onChange,
  paused = false,
  onPause,
  onResume,
  rate = 0,
  skipped = 0,
  onDismissSkipped,
}: LiveToggleProps) {
  return (
    <div className="live-control">
      <button
        type="button"
        className={`live-toggle${on ? ' on' : ''}`}
        data-testid="live-toggle"
        aria-pressed={on}
        onClick={() => onChange(!on)}
      >
        <span className="live-dot" aria-hidden="true" />
        Live
      </button>
      {on && (
        <span className={`live-status status-${status}`} data-testid="live-status" data-status={status}>
          {STATUS_TEXT[status]}
        </span>
      )}
      {on && (onPause || onResume) && (
        <button
          type="button"
          className="live-pause"
          data-testid="live-pause"
          aria-pressed={paused}
          onClick={() => (paused ? onResume?.() : onPause?.())}
        >
          {paused ? 'Resume' : 'Pause'}
        </button>
      )}
      {on && (
        <span className="live-rate" data-testid="live-rate" title="Matching lines per second (last 5 s)">
          {paused ? 'paused' : formatRate(rate)}
        </span>
      )}
      {on && skipped > 0 && (
        <span className="live-skipped" role="status" data-testid="live-skipped">
          Skipped {skipped.toLocaleString('en-US')} lines (too many to show live)
          {onDismissSkipped && (
            <button type="button" className="link-button" aria-label="Dismiss" onClick={onDismissSkipped}>
              ×
            </button>
          )}
        </span>
      )}
      {on && error && (
        <span className="live-error" role="alert" data-testid="live-error">
          {error}
        </span>
      )}
    </div>
  );
}

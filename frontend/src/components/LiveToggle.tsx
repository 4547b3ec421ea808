import type { LiveStatus } from '../live';

export interface LiveToggleProps {
  on: boolean;
  status: LiveStatus;
  error?: string | null;
  onChange: (on: boolean) => void;
}

const STATUS_TEXT: Record<LiveStatus, string> = {
  off: 'off',
  connecting: 'connecting',
  live: 'live',
  reconnecting: 'reconnecting',
  stopped: 'stopped',
};

export function LiveToggle({ on, status, error = null, onChange }: LiveToggleProps) {
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
      {on && error && (
        <span className="live-error" role="alert" data-testid="live-error">
          {error}
        </span>
      )}
    </div>
  );
}

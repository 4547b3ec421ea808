import { useState } from 'react';
import { parseTime } from '../../format';
import { useFormatTime } from '../../timeZone';
import { fromDatetimeLocal, toDatetimeLocal } from '../../timeRange';

const SNOOZES: Array<[string, number]> = [
  ['1h', 3_600_000],
  ['4h', 4 * 3_600_000],
  ['24h', 86_400_000],
  ['7d', 7 * 86_400_000],
];

export function isMuted(mutedUntil: string | null, now: number = Date.now()): boolean {
  const t = mutedUntil ? parseTime(mutedUntil)?.getTime() : undefined;
  return t !== undefined && t > now;
}

export interface MuteControlProps {
  mutedUntil: string | null;
  disabled?: boolean;
  /** A time (ISO) to mute until, or null to unmute. */
  onChange: (mutedUntil: string | null) => void;
  now?: () => number;
}

/** "Muted until …" with Unmute, or Mute for a preset span or until a chosen time. */
export function MuteControl({ mutedUntil, disabled = false, onChange, now = Date.now }: MuteControlProps) {
  const formatTime = useFormatTime();
  const [open, setOpen] = useState(false);
  const [until, setUntil] = useState(() => toDatetimeLocal(new Date(now() + 3_600_000).toISOString()));

  if (isMuted(mutedUntil, now())) {
    return (
      <span className="mute-control" data-testid="mute-control">
        <span className="muted-until" data-testid="muted-until">
          Muted until {formatTime(mutedUntil as string).slice(0, 16)}
        </span>{' '}
        {!disabled && (
          <button type="button" className="link-button" data-testid="unmute" onClick={() => onChange(null)}>
            Unmute
          </button>
        )}
      </span>
    );
  }
  if (disabled) return null;
  const custom = fromDatetimeLocal(until);
  const customOk = custom !== null && Date.parse(custom) > now();
  return (
    <span className="mute-control" data-testid="mute-control">
      {!open ? (
        <button type="button" data-testid="mute" onClick={() => setOpen(true)}>
          Mute…
        </button>
      ) : (
        <span className="mute-options" role="group" aria-label="Mute for">
          {SNOOZES.map(([label, ms]) => (
            <button
              key={label}
              type="button"
              data-testid={`mute-${label}`}
              onClick={() => {
                setOpen(false);
                onChange(new Date(now() + ms).toISOString());
              }}
            >
              {label}
            </button>
          ))}
          <input
            type="datetime-local"
            aria-label="Mute until"
            data-testid="mute-until-input"
            value={until}
            onChange={(e) => setUntil(e.target.value)}
          />
          <button
            type="button"
            data-testid="mute-until-apply"
            disabled={!customOk}
            onClick={() => {
              setOpen(false);
              if (custom) onChange(custom);
            }}
          >
            Mute until
          </button>
          <button type="button" className="link-button" onClick={() => setOpen(false)}>
            Cancel
          </button>
        </span>
      )}
    </span>
  );
}

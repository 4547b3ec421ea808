import { useEffect, useState } from 'react';
import { useTimeZone } from '../timeZone';
import { PRESETS, fromDatetimeLocal, resolveRange, toDatetimeLocal, type Preset, type TimeRange } from '../timeRange';

export interface TimeRangePickerProps {
  value: TimeRange;
  onChange: (range: TimeRange) => void;
  /** The preset buttons (the explorer's by default). */
  presets?: readonly Preset[];
}

/** The From/To input values for a range, in `zone`; a relative range ends now. */
function shown(range: TimeRange, zone: string): { since: string; until: string } {
  const r = resolveRange(range);
  return { since: toDatetimeLocal(r.since, zone), until: toDatetimeLocal(r.until ?? new Date().toISOString(), zone) };
}

/** Relative presets plus a custom absolute range (applied once both ends are valid and in order). */
export function TimeRangePicker({ value, onChange, presets = PRESETS }: TimeRangePickerProps) {
  const { zone } = useTimeZone();
  const [since, setSince] = useState(() => shown(value, zone).since);
  const [until, setUntil] = useState(() => shown(value, zone).until);

  // Follow the applied range (a preset shows the window it resolves to now) and the shown zone.
  useEffect(() => {
    const s = shown(value, zone);
    setSince(s.since);
    setUntil(s.until);
  }, [value, zone]);

  const applyCustom = (s: string, u: string) => {
    const a = fromDatetimeLocal(s, zone);
    const b = fromDatetimeLocal(u, zone);
    if (a && b && Date.parse(a) < Date.parse(b)) onChange({ kind: 'absolute', since: a, until: b });
  };

  const invalid = (() => {
    const a = fromDatetimeLocal(since, zone);
    const b = fromDatetimeLocal(until, zone);
    return !!(a && b && Date.parse(a) >= Date.parse(b));
  })();

  return (
    <div className="range-picker" data-testid="range-picker" role="group" aria-label="Time range">
      {presets.map((p) => {
        const active = value.kind === 'relative' && value.preset === p;
        return (
          <button
            key={p}
            type="button"
            className={`range-preset${active ? ' active' : ''}`}
            data-testid={`range-${p}`}
            aria-pressed={active}
            onClick={() => onChange({ kind: 'relative', preset: p })}
          >
            {p}
          </button>
        );
      })}
      <span className={`range-custom${value.kind === 'absolute' ? ' active' : ''}`}>
        <input
          type="datetime-local"
          aria-label="From"
          data-testid="range-custom-since"
          value={since}
          onChange={(e) => {
            setSince(e.target.value);
            applyCustom(e.target.value, until);
          }}
        />
        <span aria-hidden="true">→</span>
        <input
          type="datetime-local"
          aria-label="To"
          data-testid="range-custom-until"
          value={until}
          onChange={(e) => {
            setUntil(e.target.value);
            applyCustom(since, e.target.value);
          }}
        />
        {invalid && (
          <span className="range-invalid" role="alert" data-testid="range-invalid">
            “From” must be before “To”
          </span>
        )}
      </span>
    </div>
  );
}

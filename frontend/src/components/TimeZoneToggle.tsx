import { useTimeZone, type ZoneMode } from '../timeZone';
import { zoneLabel } from '../format';

export interface TimeZoneToggleProps {
  onChange: (mode: ZoneMode) => void;
}

/** "UTC | Local (Europe/Paris)": which clock every time on the page is shown in. */
export function TimeZoneToggle({ onChange }: TimeZoneToggleProps) {
  const { mode, localZone } = useTimeZone();
  const choices: Array<[ZoneMode, string]> = [
    ['utc', zoneLabel('UTC', false)],
    ['local', zoneLabel(localZone, true)],
  ];
  return (
    <div className="tz-toggle" role="group" aria-label="Time zone" data-testid="tz-toggle">
      {choices.map(([m, label]) => (
        <button
          key={m}
          type="button"
          className={`tz-choice${mode === m ? ' active' : ''}`}
          aria-pressed={mode === m}
          data-testid={`tz-${m}`}
          title={m === 'utc' ? 'Show times in UTC' : `Show times in your browser's zone (${localZone})`}
          onClick={() => onChange(m)}
        >
          {label}
        </button>
      ))}
    </div>
  );
}

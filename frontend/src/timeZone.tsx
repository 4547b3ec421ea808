import { createContext, useContext } from 'react';
import { browserZone, formatTime } from './format';

/** Which clock the dashboard shows times in: UTC, or the browser's own zone. */
export type ZoneMode = 'utc' | 'local';

export interface TimeZoneState {
  mode: ZoneMode;
  /** The IANA zone to format with ("UTC" in UTC mode). */
  zone: string;
  /** The browser's zone, for the toggle's label. */
  localZone: string;
}

const STORAGE_KEY = 'devlogs.timeZone';

export function isZoneMode(value: unknown): value is ZoneMode {
  return value === 'utc' || value === 'local';
}

/** The remembered choice (localStorage), 'local' when none or when storage is unavailable. */
export function storedZoneMode(): ZoneMode {
  try {
    const v = window.localStorage.getItem(STORAGE_KEY);
    return isZoneMode(v) ? v : 'local';
  } catch {
    return 'local';
  }
}

export function storeZoneMode(mode: ZoneMode): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, mode);
  } catch {
    // Private modes may refuse storage; the URL still carries the choice.
  }
}

export function zoneState(mode: ZoneMode, localZone: string = browserZone()): TimeZoneState {
  return { mode, zone: mode === 'utc' ? 'UTC' : localZone, localZone };
}

// Without a provider (component tests), times show in the browser's zone as before.
const TimeZoneContext = createContext<TimeZoneState>(zoneState('local'));

export const TimeZoneProvider = TimeZoneContext.Provider;

/** The zone that times are shown in; components re-render when the person switches it. */
export function useTimeZone(): TimeZoneState {
  return useContext(TimeZoneContext);
}

/** Formats an ISO time in the chosen zone, as "2026-11-29 23:40:01.123"; for pages that cut the text. */
export function useFormatTime(): (iso: string) => string {
  const { zone } = useTimeZone();
  return (iso: string) => formatTime(iso, zone);
}

/** A time in the chosen zone, as "2026-11-29 23:40:01.123" (`length` cuts it, e.g. 19 for seconds). */
export function ZonedTime({ iso, length }: { iso: string; length?: number }) {
  const { zone } = useTimeZone();
  const text = formatTime(iso, zone);
  return <>{length ? text.slice(0, length) : text}</>;
}

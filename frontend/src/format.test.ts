import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatDuration, formatTime, fromWallClock, parseTime, wallClock, zoneLabel } from './format';

describe('formatTime in the browser\'s zone', () => {
  it('formats in the local zone (UTC in tests) with milliseconds', () => {
    expect(formatTime('2026-11-29T23:40:01.123456Z')).toBe('2026-11-29 23:40:01.123');
    expect(formatTime('2026-01-02T03:04:05Z')).toBe('2026-01-02 03:04:05.000');
    expect(formatTime('2026-01-02T03:04:05.5+02:00')).toBe('2026-01-02 01:04:05.500');
  });

  it('returns the raw text when it cannot parse', () => {
    expect(formatTime('yesterday')).toBe('yesterday');
    expect(parseTime('')).toBeNull();
  });
});

describe('number formats', () => {
  it('groups counts, scales bytes and names durations', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(12)).toBe('12');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(20 * 1024 * 1024)).toBe('20.0 MiB');
    expect(formatDuration(300)).toBe('5m');
    expect(formatDuration(7200)).toBe('2h');
    expect(formatDuration(172800)).toBe('2d');
    expect(formatDuration(90)).toBe('90s');
  });
});

describe('time zones', () => {
  const iso = '2026-11-29T23:40:01.123Z';
  it('formats in UTC or a named zone', () => {
    expect(formatTime(iso, 'UTC')).toBe('2026-11-29 23:40:01.123');
    expect(formatTime(iso, 'Asia/Tokyo')).toBe('2026-11-30 08:40:01.123');
    expect(formatTime(iso, 'America/New_York')).toBe('2026-11-29 18:40:01.123');
    expect(formatTime('2026-07-01T00:00:00Z', 'Europe/Paris')).toBe('2026-07-01 02:00:00.000');
    expect(formatTime('nope', 'UTC')).toBe('nope');
  });
  it('turns a wall-clock reading in a zone back into the instant, across DST', () => {
    expect(new Date(fromWallClock({ year: 2026, month: 11, day: 30, hour: 8, minute: 40, second: 1 }, 'Asia/Tokyo')).toISOString()).toBe(
      '2026-11-29T23:40:01.000Z',
    );
    expect(new Date(fromWallClock({ year: 2026, month: 7, day: 1, hour: 2, minute: 0, second: 0 }, 'Europe/Paris')).toISOString()).toBe(
      '2026-07-01T00:00:00.000Z',
    );
    expect(new Date(fromWallClock({ year: 2026, month: 1, day: 1, hour: 2, minute: 0, second: 0 }, 'Europe/Paris')).toISOString()).toBe(
      '2026-01-01T01:00:00.000Z',
    );
    const w = wallClock(new Date(iso), 'America/New_York');
    expect(w).toEqual({ year: 2026, month: 11, day: 29, hour: 18, minute: 40, second: 1 });
  });
  it('names the zone for the toggle', () => {
    expect(zoneLabel('Europe/Paris', true)).toBe('Local (Europe/Paris)');
    expect(zoneLabel('UTC', false)).toBe('UTC');
  });
});

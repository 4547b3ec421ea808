import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatDuration, formatLocalTime, parseTime } from './format';

describe('formatLocalTime', () => {
  it('formats in the local zone (UTC in tests) with milliseconds', () => {
    expect(formatLocalTime('2026-11-29T23:40:01.123456Z')).toBe('2026-11-29 23:40:01.123');
    expect(formatLocalTime('2026-01-02T03:04:05Z')).toBe('2026-01-02 03:04:05.000');
    expect(formatLocalTime('2026-01-02T03:04:05.5+02:00')).toBe('2026-01-02 01:04:05.500');
  });

  it('returns the raw text when it cannot parse', () => {
    expect(formatLocalTime('yesterday')).toBe('yesterday');
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

import { describe, expect, it } from 'vitest';
import { formatLocalTime, parseTime } from './format';

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

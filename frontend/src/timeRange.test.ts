import { describe, expect, it } from 'vitest';
import { fromDatetimeLocal, resolveRange, selectionToRange, toDatetimeLocal } from './timeRange';

describe('resolveRange', () => {
  const now = Date.parse('2026-11-29T12:00:00.000Z');
  it('turns presets into since=now-span without until', () => {
    expect(resolveRange({ kind: 'relative', preset: '5m' }, now)).toEqual({ since: '2026-11-29T11:55:00.000Z', until: null });
    expect(resolveRange({ kind: 'relative', preset: '15m' }, now).since).toBe('2026-11-29T11:45:00.000Z');
    expect(resolveRange({ kind: 'relative', preset: '1h' }, now).since).toBe('2026-11-29T11:00:00.000Z');
    expect(resolveRange({ kind: 'relative', preset: '24h' }, now).since).toBe('2026-11-28T12:00:00.000Z');
    expect(resolveRange({ kind: 'relative', preset: '7d' }, now).since).toBe('2026-11-22T12:00:00.000Z');
  });
  it('passes an absolute range through', () => {
    expect(resolveRange({ kind: 'absolute', since: 'a', until: 'b' }, now)).toEqual({ since: 'a', until: 'b' });
  });
});

describe('datetime-local conversion', () => {
  it('round-trips (TZ=UTC)', () => {
    expect(toDatetimeLocal('2026-11-29T10:05:59.900Z')).toBe('2026-11-29T10:05');
    expect(fromDatetimeLocal('2026-11-29T10:05')).toBe('2026-11-29T10:05:00.000Z');
    expect(fromDatetimeLocal('')).toBeNull();
    expect(fromDatetimeLocal('nope')).toBeNull();
  });
});

describe('selectionToRange', () => {
  const since = '2026-11-29T00:00:00.000Z';
  const until = '2026-11-29T10:00:00.000Z'; // 10 hours over 1000 px: 36 s per px

  it('maps the dragged pixels to an absolute range, in either direction', () => {
    const r = { kind: 'absolute', since: '2026-11-29T01:00:00.000Z', until: '2026-11-29T03:00:00.000Z' };
    expect(selectionToRange(100, 300, 1000, since, until)).toEqual(r);
    expect(selectionToRange(300, 100, 1000, since, until)).toEqual(r);
  });

  it('clamps to the chart and ignores clicks', () => {
    expect(selectionToRange(-50, 2000, 1000, since, until)).toEqual({ kind: 'absolute', since, until });
    expect(selectionToRange(500, 501, 1000, since, until)).toBeNull();
    expect(selectionToRange(0, 500, 0, since, until)).toBeNull();
    expect(selectionToRange(0, 500, 1000, until, since)).toBeNull();
  });
});

describe('datetime-local in a zone', () => {
  it('shows and reads the inputs in the chosen zone', () => {
    expect(toDatetimeLocal('2026-11-29T23:40:59Z', 'Asia/Tokyo')).toBe('2026-11-30T08:40');
    expect(toDatetimeLocal('2026-11-29T23:40:59Z', 'UTC')).toBe('2026-11-29T23:40');
    expect(fromDatetimeLocal('2026-11-30T08:40', 'Asia/Tokyo')).toBe('2026-11-29T23:40:00.000Z');
    expect(fromDatetimeLocal('2026-11-29T23:40', 'UTC')).toBe('2026-11-29T23:40:00.000Z');
  });
});

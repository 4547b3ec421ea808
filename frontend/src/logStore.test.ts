import { describe, expect, it } from 'vitest';
import { appendOlder, prependLive } from './logStore';
import { makeEntry } from './test/fixtures';

describe('prependLive', () => {
  it('puts a batch (oldest first) on top, newest first, skipping known ids', () => {
    const old = makeEntry({ message: 'old' });
    const b1 = makeEntry({ message: 'b1' });
    const b2 = makeEntry({ message: 'b2' });
    const r = prependLive([old], [old, b1, b2]);
    expect(r.entries.map((e) => e.message)).toEqual(['b2', 'b1', 'old']);
    expect(r.trimmed).toBe(false);
  });

  it('caps the list, dropping the oldest rows', () => {
    const current = Array.from({ length: 5 }, (_, i) => makeEntry({ message: `c${i}` }));
    const r = prependLive(current, [makeEntry({ message: 'n1' }), makeEntry({ message: 'n2' })], 5);
    expect(r.entries.map((e) => e.message)).toEqual(['n2', 'n1', 'c0', 'c1', 'c2']);
    expect(r.trimmed).toBe(true);
  });
});

describe('appendOlder', () => {
  it('appends a page below, skipping duplicates', () => {
    const a = makeEntry();
    const b = makeEntry();
    expect(appendOlder([a], [a, b])).toEqual([a, b]);
  });
});

describe('appendOlder at scale', () => {
  it('dedupes against the oldest rows only, and keeps the list when nothing is new', () => {
    const current = Array.from({ length: 10_000 }, () => makeEntry());
    const page = [current[current.length - 1], makeEntry({ message: 'older' })];
    const next = appendOlder(current, page);
    expect(next).toHaveLength(10_001);
    expect(next[10_000].message).toBe('older');
    expect(appendOlder(current, [current[current.length - 2]])).toBe(current);
  });
});

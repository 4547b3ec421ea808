import { describe, expect, it } from 'vitest';
import { addTerm, invertPart, parseQuery, queryFilters, quoteValue, removePart } from './query';

describe('addTerm', () => {
  it('adds field:value and -field:value, replacing the opposite and not duplicating', () => {
    expect(addTerm('', 'level', 'error')).toBe('level:error');
    expect(addTerm('timeout', 'host', 'web-1', true)).toBe('timeout -host:web-1');
    expect(addTerm('timeout -host:web-1', 'host', 'web-1')).toBe('timeout host:web-1');
    expect(addTerm('level:error', 'level', 'error')).toBe('level:error');
  });
  it('quotes values with spaces or quotes', () => {
    expect(quoteValue('my app')).toBe('"my app"');
    expect(quoteValue('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoteValue('')).toBe('""');
    expect(addTerm('', 'service', 'checkout api')).toBe('service:"checkout api"');
  });
});

describe('parseQuery', () => {
  const filters = (q: string) => queryFilters(q).map((f) => [f.text, f.field, f.value, f.negated]);
  it('finds field:value and -field:value terms, leaving words as text', () => {
    expect(filters('level:error timeout -service:shop')).toEqual([
      ['level:error', 'level', 'error', false],
      ['-service:shop', 'service', 'shop', true],
    ]);
    expect(parseQuery('level:error timeout').map((p) => p.kind)).toEqual(['filter', 'text']);
  });
  it('reads quoted values with spaces and escapes', () => {
    expect(filters('service:"checkout api" x')).toEqual([['service:"checkout api"', 'service', 'checkout api', false]]);
    expect(filters('message:"say \\"hi\\""')).toEqual([['message:"say \\"hi\\""', 'message', 'say "hi"', false]]);
    expect(filters('message:"open')).toEqual([]);
  });
  it('reads attributes.x keys, comparisons and wildcards', () => {
    expect(filters('attributes.user_id:42 -attributes.http.status:>=500 host:web-*')).toEqual([
      ['attributes.user_id:42', 'attributes.user_id', '42', false],
      ['-attributes.http.status:>=500', 'attributes.http.status', '>=500', true],
      ['host:web-*', 'host', 'web-*', false],
    ]);
  });
  it('keeps OR, NOT and groups as text', () => {
    expect(filters('level:error OR level:warn')).toEqual([]);
    expect(filters('NOT host:a service:b')).toEqual([['service:b', 'service', 'b', false]]);
    expect(filters('(host:a OR host:b) level:error')).toEqual([['level:error', 'level', 'error', false]]);
    expect(parseQuery('(host:a OR host:b) level:error')[0]).toMatchObject({ kind: 'text', text: '(host:a OR host:b)' });
    expect(filters('level:( x:')).toEqual([]);
    expect(filters(':x -:y')).toEqual([]);
  });
  it('records positions so a filter can be removed or inverted in place', () => {
    const q = 'a  level:error   b -host:x';
    const [level, host] = queryFilters(q);
    expect(q.slice(level.start, level.end)).toBe('level:error');
    expect(removePart(q, level)).toBe('a b -host:x');
    expect(invertPart(q, level)).toBe('a -level:error b -host:x');
    expect(invertPart(q, host)).toBe('a level:error b host:x');
  });
});

import { describe, expect, it } from 'vitest';
import { applySuggestion, attributeKeysOf, attributeValuesOf, quoteValue, suggest } from './suggest';

const labels = (text: string, caret = text.length, ctx = {}) => suggest(text, caret, ctx).items.map((i) => i.label);

describe('suggest', () => {
  it('suggests field names for a bare word, keeping a leading minus', () => {
    expect(labels('le')).toEqual(['level:']);
    expect(labels('timeout s')).toEqual(['service:', 'span_id:']);
    const s = suggest('-ho', 3);
    expect(s.from).toBe(1);
    expect(applySuggestion('-ho', s, s.items[0])).toEqual({ text: '-host:', caret: 6 });
    expect(labels('')).toEqual([]);
  });

  it('suggests attribute keys', () => {
    expect(labels('attr', 4, { attributeKeys: ['status', 'user_id'] })).toEqual([
      'attributes.',
      'attributes.status:',
      'attributes.user_id:',
    ]);
    expect(labels('attributes.u', 12, { attributeKeys: ['status', 'user_id'] })).toEqual(['attributes.user_id:']);
  });

  it('suggests levels after level:, also after a comparison', () => {
    expect(labels('level:')).toEqual(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
    expect(labels('level:e')).toEqual(['error']);
    const s = suggest('level:>=w', 9);
    expect(s.items.map((i) => i.insert)).toEqual(['level:>=warn ']);
    expect(labels('level:error')).toEqual([]);
  });

  it('suggests apps, facet values and attribute values', () => {
    const ctx = { apps: ['web', 'worker', 'api'], values: { host: ['web-1', 'web 2'], 'attributes.status': ['500'] } };
    expect(labels('app:w', 5, ctx)).toEqual(['web', 'worker']);
    expect(suggest('host:', 5, ctx).items.map((i) => i.insert)).toEqual(['host:web-1 ', 'host:"web 2" ']);
    expect(labels('attributes.status:', 18, ctx)).toEqual(['500']);
  });

  it('replaces the whole word under the caret and does not double spaces', () => {
    const text = 'level:e timeout';
    const s = suggest(text, 7);
    expect(applySuggestion(text, s, s.items[0])).toEqual({ text: 'level:error timeout', caret: 12 });
    const inParens = suggest('(ap', 3);
    expect(inParens.from).toBe(1);
  });

  it('quotes values that need it and collects attribute keys/values', () => {
    expect(quoteValue('web-1')).toBe('web-1');
    expect(quoteValue('a b')).toBe('"a b"');
    const entries = [{ attributes: { a: 1, b: 'x' } }, { attributes: { a: 2, c: { nested: true } } }, { attributes: {} }];
    expect(attributeKeysOf(entries)).toEqual(['a', 'b', 'c']);
    expect(attributeValuesOf(entries)).toEqual({ 'attributes.a': ['1', '2'], 'attributes.b': ['x'] });
  });
});

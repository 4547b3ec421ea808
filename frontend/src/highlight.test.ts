import { describe, expect, it } from 'vitest';
import { highlightRegex, splitMatches, textTerms } from './highlight';

const marked = (text: string, query: string) =>
  splitMatches(text, highlightRegex(query))
    .filter((p) => p.match)
    .map((p) => p.text);

describe('textTerms', () => {
  it('keeps words and phrases, drops fields, keywords and negated terms', () => {
    expect(textTerms('timeout "card declined" level:error service:"a b" AND -noise NOT quiet OR fail*')).toEqual([
      { text: 'timeout', wildcard: false },
      { text: 'card declined', wildcard: false },
      { text: 'fail*', wildcard: true },
    ]);
  });

  it('drops everything inside a negated group, keeps plain groups', () => {
    expect(textTerms('-(a b) (c OR d) NOT (e)').map((t) => t.text)).toEqual(['c', 'd']);
  });

  it('reads escaped quotes in phrases and ignores a lone *', () => {
    expect(textTerms('"say \\"hi\\"" *').map((t) => t.text)).toEqual(['say "hi"']);
  });

  it('is empty for an empty or field-only query', () => {
    expect(textTerms('')).toEqual([]);
    expect(highlightRegex('app:web attributes.order:A-17')).toBeNull();
  });
});

describe('splitMatches', () => {
  it('marks whole words in any case, not parts of words', () => {
    expect(marked('FAIL: failed to fail.', 'fail')).toEqual(['FAIL', 'fail']);
  });

  it('marks a prefix wildcard up to the end of the word', () => {
    expect(marked('Payment FAILED, failure after failover', 'fail*')).toEqual(['FAILED', 'failure', 'failover']);
  });

  it('marks phrases and prefers the longer match', () => {
    expect(marked('the card declined twice; card ok', '"card declined" card')).toEqual(['card declined', 'card']);
  });

  it('escapes regex characters in terms', () => {
    expect(marked('GET /api/v1?x=1 (ok)', '"/api/v1?x=1" "(ok)"')).toEqual(['/api/v1?x=1', '(ok)']);
  });

  it('keeps the text whole, in order', () => {
    const pieces = splitMatches('a timeout b timeout', highlightRegex('timeout'));
    expect(pieces.map((p) => p.text).join('')).toBe('a timeout b timeout');
    expect(pieces).toHaveLength(4);
    expect(splitMatches('nothing here', highlightRegex('timeout'))).toEqual([{ text: 'nothing here', match: false }]);
  });
});

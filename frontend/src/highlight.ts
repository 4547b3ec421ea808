/**
 * Which parts of a message the current query's free text matched, for <mark>.
 *
 * Mirrors the server's text matching (logs/tokens.py, logs/querylang/parser.py): a bare word or a
 * "quoted phrase" matches on word boundaries in any case; a word with `*` is a wildcard. Field terms
 * (`service:api`), keywords and negated terms (`-word`, `NOT word`, `-(a b)`) highlight nothing.
 */

const WORD_CHAR = /[A-Za-z0-9_]/;
const WORD_RUN = '[A-Za-z0-9_]*';
const KEYWORDS = new Set(['AND', 'OR', 'NOT']);
/** A field name before the first colon, as the server's lexer recognises it. */
const FIELD_NAME = /^(?:[A-Za-z_][A-Za-z0-9_]*|(?:attributes|attr)\..*)$/i;

export interface TextTerm {
  text: string;
  wildcard: boolean;
}

const stops = (ch: string) => ch === '(' || ch === ')' || ch === '"' || /\s/.test(ch);

/** A quoted string starting at text[start] === '"': its value and the index after it (unclosed: the rest). */
function readQuoted(text: string, start: number): [string, number] {
  let out = '';
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
      out += text[i + 1];
      i += 2;
    } else if (ch === '"') {
      return [out, i + 1];
    } else {
      out += ch;
      i += 1;
    }
  }
  return [out, i];
}

/** The free-text words and phrases of a query that a matching message contains (not negated ones). */
export function textTerms(query: string): TextTerm[] {
  const terms: TextTerm[] = [];
  const groups: boolean[] = []; // per open '(': was the group negated?
  let negatedGroups = 0;
  let negateNext = false;
  const take = (term: TextTerm | null) => {
    const negated = negateNext !== (negatedGroups % 2 === 1);
    negateNext = false;
    if (term && !negated && term.text.replace(/\*/g, '') !== '') terms.push(term);
  };
  let i = 0;
  while (i < query.length) {
    const ch = query[i];
    if (/\s/.test(ch)) {
      i += 1;
    } else if (ch === '(') {
      groups.push(negateNext);
      if (negateNext) negatedGroups += 1;
      negateNext = false;
      i += 1;
    } else if (ch === ')') {
      if (groups.pop()) negatedGroups -= 1;
      i += 1;
    } else if (ch === '"') {
      const [value, next] = readQuoted(query, i);
      take({ text: value, wildcard: false });
      i = next;
    } else if (ch === '-') {
      negateNext = !negateNext;
      i += 1;
    } else {
      const start = i;
      while (i < query.length && !stops(query[i])) i += 1;
      const word = query.slice(start, i);
      const colon = word.indexOf(':');
      if (colon > 0 && FIELD_NAME.test(word.slice(0, colon))) {
        // A field term; `field:"quoted value"` swallows its quotes too.
        if (colon === word.length - 1 && query[i] === '"') i = readQuoted(query, i)[1];
        take(null);
      } else if (KEYWORDS.has(word)) {
        if (word === 'NOT') negateNext = !negateNext;
      } else {
        take({ text: word, wildcard: word.includes('*') });
      }
    }
  }
  return terms;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

function termPattern({ text, wildcard }: TextTerm): string {
  if (wildcard) {
    // On the server `*` is any run; here a run of word characters, so `fail*` marks `FAILED`, not the rest of the line.
    return text.split('*').map(escape).join(WORD_RUN);
  }
  const before = WORD_CHAR.test(text[0]) ? '(?<![A-Za-z0-9_])' : '';
  const after = WORD_CHAR.test(text[text.length - 1]) ? '(?![A-Za-z0-9_])' : '';
  return before + escape(text) + after;
}

/** One case-insensitive regex for all the query's text terms (longest first), or null when there are none. */
export function highlightRegex(query: string): RegExp | null {
  const patterns = [...new Set(textTerms(query).map(termPattern))].filter((p) => p !== '');
  if (patterns.length === 0) return null;
  patterns.sort((a, b) => b.length - a.length);
  return new RegExp(patterns.join('|'), 'gi');
}

export interface Piece {
  text: string;
  match: boolean;
}

/** `text` cut into matched and unmatched pieces (one unmatched piece when nothing matches). */
export function splitMatches(text: string, regex: RegExp | null): Piece[] {
  if (!regex || text === '') return [{ text, match: false }];
  const pieces: Piece[] = [];
  let last = 0;
  for (const m of text.matchAll(new RegExp(regex.source, 'gi'))) {
    if (m[0] === '') continue;
    const at = m.index ?? 0;
    if (at > last) pieces.push({ text: text.slice(last, at), match: false });
    pieces.push({ text: m[0], match: true });
    last = at + m[0].length;
  }
  if (last < text.length) pieces.push({ text: text.slice(last), match: false });
  return pieces.length ? pieces : [{ text, match: false }];
}

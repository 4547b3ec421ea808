/** Helpers for editing query-language text from the UI. */

const BARE = /^[A-Za-z0-9_.\-/@]+$/; // no '*': bare it is a wildcard

/** `value` as a query token: bare when safe, otherwise double-quoted with escapes. */
export function quoteValue(value: string): string {
  if (value !== '' && BARE.test(value)) return value;
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `field:value` (or `-field:value`) as a term. */
export function facetTerm(field: string, value: string, negate = false): string {
  return `${negate ? '-' : ''}${field}:${quoteValue(value)}`;
}

/**
 * Adds a term to a query. An existing opposite term (`field:value` vs `-field:value`)
 * is replaced; an identical term is not added twice.
 */
export function addTerm(query: string, field: string, value: string, negate = false): string {
  const term = facetTerm(field, value, negate);
  const opposite = facetTerm(field, value, !negate);
  const tokens = query.trim() === '' ? [] : query.trim().split(/\s+/);
  if (tokens.includes(term)) return query.trim();
  const kept = tokens.filter((t) => t !== opposite);
  return [...kept, term].join(' ');
}

/** A piece of a query: a simple `field:value` filter (a pill), or anything else (kept as text). */
export type QueryPart =
  | { kind: 'filter'; text: string; start: number; end: number; field: string; value: string; negated: boolean }
  | { kind: 'text'; text: string; start: number; end: number };

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_\-]+)*$/;
const OPERATORS = new Set(['OR', 'AND', 'NOT']);

/**
 * Splits a query into whitespace-separated top-level tokens. A "quoted phrase" (with \" escapes) and
 * a (group) stay whole, so `attributes.k:"a b"` and `(a OR b)` are one token each.
 */
function tokens(query: string): Array<{ text: string; start: number; end: number }> {
  const out: Array<{ text: string; start: number; end: number }> = [];
  let i = 0;
  while (i < query.length) {
    if (/\s/.test(query[i])) {
      i += 1;
      continue;
    }
    const start = i;
    let depth = 0;
    let quoted = false;
    for (; i < query.length; i += 1) {
      const ch = query[i];
      if (quoted) {
        if (ch === '\\') i += 1;
        else if (ch === '"') quoted = false;
      } else if (ch === '"') quoted = true;
      else if (ch === '(') depth += 1;
      else if (ch === ')') depth = Math.max(0, depth - 1);
      else if (/\s/.test(ch) && depth === 0) break;
    }
    out.push({ text: query.slice(start, Math.min(i, query.length)), start, end: Math.min(i, query.length) });
  }
  return out;
}

/** `"a \"b\""` → `a "b"`; null when the phrase is not closed properly. */
function unquote(text: string): string | null {
  if (text.length < 2 || !text.endsWith('"')) return null;
  let out = '';
  for (let i = 1; i < text.length - 1; i += 1) {
    if (text[i] === '\\' && i + 1 < text.length - 1) {
      i += 1;
      out += text[i];
    } else if (text[i] === '"' || text[i] === '\\') return null;
    else out += text[i];
  }
  return out;
}

function asFilter(token: { text: string; start: number; end: number }): QueryPart {
  const negated = token.text.startsWith('-');
  const body = negated ? token.text.slice(1) : token.text;
  const colon = body.indexOf(':');
  const field = colon > 0 ? body.slice(0, colon) : '';
  const raw = colon > 0 ? body.slice(colon + 1) : '';
  let value: string | null = null;
  if (raw.startsWith('"')) value = unquote(raw);
  else if (raw !== '' && !/[()"]/.test(raw)) value = raw;
  if (!FIELD.test(field) || value === null) return { kind: 'text', ...token };
  return { kind: 'filter', ...token, field, value, negated };
}

/**
 * The query as filters and text. A term is a filter (shown as a pill) only when it is a top-level
 * `field:value` or `-field:value` that is ANDed with the rest: one next to OR, after NOT, or inside
 * a group changes meaning when removed or inverted on its own, so it stays text.
 */
export function parseQuery(query: string): QueryPart[] {
  const toks = tokens(query);
  return toks.map((t, i) => {
    const prev = toks[i - 1]?.text;
    const next = toks[i + 1]?.text;
    if (prev === 'OR' || prev === 'NOT' || next === 'OR' || OPERATORS.has(t.text)) return { kind: 'text', ...t };
    return asFilter(t);
  });
}

/** Only the filters. */
export function queryFilters(query: string): Array<Extract<QueryPart, { kind: 'filter' }>> {
  return parseQuery(query).filter((p): p is Extract<QueryPart, { kind: 'filter' }> => p.kind === 'filter');
}

/** Replaces `query[start, end)` with `text` (empty removes it) and tidies the spaces around it. */
export function spliceQuery(query: string, start: number, end: number, text: string): string {
  return `${query.slice(0, start)}${text}${query.slice(end)}`.replace(/\s+/g, ' ').trim();
}

/** The filter's text with its sign flipped: `field:value` ↔ `-field:value`. */
export function invertedText(part: { text: string; negated: boolean }): string {
  return part.negated ? part.text.slice(1) : `-${part.text}`;
}

/** `query` without the filter at [start, end). */
export function removePart(query: string, part: { start: number; end: number }): string {
  return spliceQuery(query, part.start, part.end, '');
}

/** `query` with the filter at [start, end) inverted. */
export function invertPart(query: string, part: { start: number; end: number; text: string; negated: boolean }): string {
  return spliceQuery(query, part.start, part.end, invertedText(part));
}

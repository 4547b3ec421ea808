import { LEVELS } from './types';

/** What the query bar knows for autocomplete (all optional; missing lists just suggest nothing). */
export interface SuggestContext {
  /** App slugs (GET /api/v1/apps). */
  apps?: readonly string[];
  /** Known values per field (from the loaded facets), e.g. service, host. */
  values?: Readonly<Record<string, readonly string[]>>;
  /** Attribute keys seen in the loaded entries. */
  attributeKeys?: readonly string[];
}

export interface Suggestion {
  /** Shown in the list. */
  label: string;
  /** Replaces the text between `from` and `to`. */
  insert: string;
  kind: 'field' | 'value';
}

export interface Suggestions {
  items: Suggestion[];
  /** Start (inclusive) and end (exclusive) of the text the chosen item replaces. */
  from: number;
  to: number;
}

export const QUERY_FIELDS = ['level', 'app', 'service', 'host', 'trace_id', 'span_id', 'message'] as const;
const LEVEL_OPS = ['>=', '<=', '>', '<', '='] as const;
const MAX_ITEMS = 12;

/** Characters that end a word in the query language (the word under the caret starts after the last of them). */
function isBoundary(ch: string): boolean {
  return /\s/.test(ch) || ch === '(' || ch === ')';
}

/** A value is written bare when it only has "word" characters; otherwise as a "phrase". */
export function quoteValue(value: string): string {
  return /^[^\s()":]+$/.test(value) ? value : `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

function startsWithCI(text: string, prefix: string): boolean {
  return text.toLowerCase().startsWith(prefix.toLowerCase());
}

function unique(list: Iterable<string>): string[] {
  return [...new Set(list)];
}

/**
 * Suggestions for the word under the caret in `text`:
 * field names (`level:` … `attributes.<key>:`) for a bare word, and values after
 * `level:` (with an optional comparison), `app:`, `service:`, `host:` and `attributes.<key>:`.
 */
export function suggest(text: string, caret: number, ctx: SuggestContext = {}): Suggestions {
  const end = Math.max(0, Math.min(caret, text.length));
  let start = end;
  while (start > 0 && !isBoundary(text[start - 1])) start -= 1;
  // A leading "-" negates the term; it stays in front of what we insert.
  if (text[start] === '-' && start < end) start += 1;
  // Replace to the end of the word under the caret, not just up to the caret.
  let to = end;
  while (to < text.length && !isBoundary(text[to])) to += 1;
  const word = text.slice(start, end);
  const none: Suggestions = { items: [], from: start, to };
  if (word.startsWith('"')) return none;

  const colon = word.indexOf(':');
  if (colon < 0) {
    if (word === '') return none;
    const fields: string[] = [...QUERY_FIELDS, 'attributes'];
    const items: Suggestion[] = fields
      .filter((f) => startsWithCI(f, word))
      .map((f) =>
        f === 'attributes'
          ? { label: 'attributes.', insert: 'attributes.', kind: 'field' as const }
          : { label: `${f}:`, insert: `${f}:`, kind: 'field' as const },
      );
    for (const key of ctx.attributeKeys ?? []) {
      const full = `attributes.${key}`;
      if (startsWithCI(full, word) && full.toLowerCase() !== word.toLowerCase()) {
        items.push({ label: `${full}:`, insert: `${full}:`, kind: 'field' });
      }
    }
    // "attributes." itself is only useful while the key is still to be typed.
    const filtered = items.filter((s) => !(s.insert === 'attributes.' && word.toLowerCase().startsWith('attributes.')));
    return { items: filtered.slice(0, MAX_ITEMS), from: start, to };
  }

  const field = word.slice(0, colon).toLowerCase();
  let value = word.slice(colon + 1);
  let prefix = word.slice(0, colon + 1);
  let candidates: string[] = [];
  if (field === 'level') {
    const op = LEVEL_OPS.find((o) => value.startsWith(o)) ?? '';
    prefix += op;
    value = value.slice(op.length);
    candidates = [...LEVELS];
  } else if (field === 'app') {
    candidates = unique(ctx.apps ?? []);
  } else if (field === 'service' || field === 'host') {
    candidates = unique(ctx.values?.[field] ?? []);
  } else if (field.startsWith('attributes.')) {
    candidates = unique(ctx.values?.[field] ?? []);
  }
  if (value.startsWith('"')) return none;
  const items = candidates
    .filter((c) => c !== '' && startsWithCI(c, value) && c !== value)
    .slice(0, MAX_ITEMS)
    .map((c) => ({ label: c, insert: `${prefix}${quoteValue(c)} `, kind: 'value' as const }));
  return { items, from: start, to };
}

/** Insert a suggestion: the new text and where the caret goes. */
export function applySuggestion(text: string, s: Suggestions, item: Suggestion): { text: string; caret: number } {
  const rest = text.slice(s.to);
  // Don't double the space when the word is followed by one already; step over it instead.
  if (item.insert.endsWith(' ') && /^\s/.test(rest)) {
    const insert = item.insert.slice(0, -1);
    return { text: text.slice(0, s.from) + insert + rest, caret: s.from + insert.length + 1 };
  }
  return { text: text.slice(0, s.from) + item.insert + rest, caret: s.from + item.insert.length };
}

type WithAttributes = { attributes?: Record<string, unknown> | null };

/** Top-level attribute keys of the given entries, most frequent first. */
export function attributeKeysOf(entries: ReadonlyArray<WithAttributes>, limit = 50): string[] {
  const counts = new Map<string, number>();
  for (const e of entries) {
    const attrs = e.attributes;
    if (!attrs || typeof attrs !== 'object') continue;
    for (const k of Object.keys(attrs)) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([k]) => k);
}

/** Scalar values per `attributes.<key>` in the given entries (a few per key), for value suggestions. */
export function attributeValuesOf(entries: ReadonlyArray<WithAttributes>, perKey = 20): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const e of entries) {
    const attrs = e.attributes;
    if (!attrs || typeof attrs !== 'object') continue;
    for (const [k, v] of Object.entries(attrs)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') continue;
      const set = (out[`attributes.${k}`] ??= new Set());
      if (set.size < perKey) set.add(String(v));
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, set]) => [k, [...set]]));
}

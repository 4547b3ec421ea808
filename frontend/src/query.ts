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

import { addTerm, facetTerm } from './query';

/**
 * Adds several values of one field to a query: included, any of them (`(f:a OR f:b)`);
 * excluded, none of them (`-f:a -f:b`). One value is the same as addTerm.
 */
export function addAnyOf(query: string, field: string, values: readonly string[], negate = false): string {
  const unique = [...new Set(values)];
  if (unique.length === 0) return query.trim();
  if (negate || unique.length === 1) return unique.reduce((q, v) => addTerm(q, field, v, negate), query);
  const group = `(${unique.map((v) => facetTerm(field, v)).join(' OR ')})`;
  const q = query.trim();
  return q === '' ? group : `${q} ${group}`;
}

/** A key the facets API and the query language both take as written (a dot would mean a nested key). */
const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** Attribute keys as facet fields (`attributes.<key>`), leaving out those already shown. */
export function attributeFacetChoices(keys: readonly string[], shown: readonly string[]): string[] {
  return keys
    .filter((k) => PLAIN_KEY.test(k))
    .map((k) => `attributes.${k}`)
    .filter((f) => !shown.includes(f));
}

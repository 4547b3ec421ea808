/** Adds `field:value` (negate false) or `-field:value` (negate true) to the query and runs it. */
export type OnFilter = (field: string, value: string, negate: boolean) => void;

/** + and − beside a value in a line's details. */
export function FilterButtons({ field, value, onFilter }: { field: string; value: string; onFilter: OnFilter }) {
  return (
    <span className="filter-buttons">
      <button
        type="button"
        className="filter-button"
        data-testid="filter-in"
        data-field={field}
        aria-label={`Filter for ${field}: ${value}`}
        title={`Add ${field}:${value}`}
        onClick={() => onFilter(field, value, false)}
      >
        +
      </button>
      <button
        type="button"
        className="filter-button"
        data-testid="filter-out"
        data-field={field}
        aria-label={`Filter out ${field}: ${value}`}
        title={`Add -${field}:${value}`}
        onClick={() => onFilter(field, value, true)}
      >
        −
      </button>
    </span>
  );
}

/**
 * The attributes as [`attributes.a.b`, value text] pairs, for filtering: nested objects become dotted
 * paths; arrays are left out (the query language's equality never looks into them).
 */
export function flattenAttributes(attributes: Record<string, unknown> | null | undefined): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const walk = (value: unknown, path: string) => {
    if (Array.isArray(value) || /[\s():"]/.test(path)) return; // no query text can name such a key
    if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) walk(inner, `${path}.${key}`);
      return;
    }
    out.push([path, value === null ? 'null' : String(value)]);
  };
  if (attributes) for (const [key, value] of Object.entries(attributes)) walk(value, `attributes.${key}`);
  return out;
}

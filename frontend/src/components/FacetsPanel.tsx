import type { MouseEvent } from 'react';
import type { FacetValue } from '../types';

export interface FacetsPanelProps {
  facets: Record<string, FacetValue[]> | null;
  loading?: boolean;
  error?: string | null;
  /** Click adds `field:value`; alt-click adds `-field:value`. */
  onPick: (field: string, value: string, negate: boolean) => void;
  fields?: readonly string[];
}

/** Top values per field for the current search. */
export function FacetsPanel({ facets, loading = false, error = null, onPick, fields }: FacetsPanelProps) {
  const names = fields ?? (facets ? Object.keys(facets) : []);
  return (
    <aside className="facets" data-testid="facets" aria-label="Top values" aria-busy={loading}>
      {error && (
        <div className="list-note" data-testid="facets-error">
          {error}
        </div>
      )}
      {names.map((field) => {
        const values = facets?.[field] ?? [];
        return (
          <section className="facet" key={field} data-field={field}>
            <h3 className="facet-title">{field}</h3>
            {values.length === 0 ? (
              <div className="facet-empty">{loading ? '…' : '—'}</div>
            ) : (
              <ul className="facet-values">
                {values.map((v) => (
                  <li key={v.value}>
                    <button
                      type="button"
                      className="facet-value"
                      data-testid="facet-value"
                      data-field={field}
                      data-value={v.value}
                      title={`Click: ${field}:${v.value}   Alt-click: -${field}:${v.value}`}
                      onClick={(e: MouseEvent) => onPick(field, v.value, e.altKey)}
                    >
                      <span className="facet-label">{v.value === '' ? '(empty)' : v.value}</span>
                      <span className="facet-count">{v.count.toLocaleString('en-US')}</span>
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </section>
        );
      })}
    </aside>
  );
}

import { useState, type ChangeEvent, type MouseEvent } from 'react';
import type { FacetValue } from '../types';
import { attributeFacetChoices } from '../facetQuery';

export interface FacetsPanelProps {
  facets: Record<string, FacetValue[]> | null;
  loading?: boolean;
  error?: string | null;
  /** Click adds `field:value`; alt-click adds `-field:value`. */
  onPick: (field: string, value: string, negate: boolean) => void;
  fields?: readonly string[];
  /** Several checked values of one field: any of them (OR), or with `negate` none of them. */
  onPickMany?: (field: string, values: string[], negate: boolean) => void;
  /** Attribute keys of the loaded lines, offered as facets (`attributes.<key>`). */
  attributeKeys?: readonly string[];
  onAddField?: (field: string) => void;
  onRemoveField?: (field: string) => void;
}

const isAttribute = (field: string) => field.startsWith('attributes.');

/** Top values per field for the current search; attribute facets on request; several values at once. */
export function FacetsPanel({
  facets,
  loading = false,
  error = null,
  onPick,
  fields,
  onPickMany,
  attributeKeys = [],
  onAddField,
  onRemoveField,
}: FacetsPanelProps) {
  const names = fields ?? (facets ? Object.keys(facets) : []);
  const [checked, setChecked] = useState<Record<string, string[]>>({});
  const choices = onAddField ? attributeFacetChoices(attributeKeys, names) : [];

  const toggle = (field: string, value: string, on: boolean) =>
    setChecked((c) => {
      const now = c[field] ?? [];
      return { ...c, [field]: on ? [...now.filter((v) => v !== value), value] : now.filter((v) => v !== value) };
    });
  const apply = (field: string, negate: boolean) => {
    const values = checked[field] ?? [];
    setChecked((c) => ({ ...c, [field]: [] }));
    if (values.length > 0) onPickMany?.(field, values, negate);
  };

  return (
    <aside className="facets" data-testid="facets" aria-label="Top values" aria-busy={loading}>
      {error && (
        <div className="list-note" data-testid="facets-error">
          {error}
        </div>
      )}
      {names.map((field) => {
        const values = facets?.[field] ?? [];
        const selected = checked[field] ?? [];
        const titleId = `facet-title-${field}`;
        return (
          <section className="facet" key={field} data-field={field} aria-labelledby={titleId}>
            <div className="facet-head">
              <h3 className="facet-title" id={titleId}>
                {field}
              </h3>
              {onRemoveField && isAttribute(field) && (
                <button
                  type="button"
                  className="facet-remove"
                  data-testid="facet-remove"
                  aria-label={`Remove the ${field} facet`}
                  title="Remove this facet"
                  onClick={() => onRemoveField(field)}
                >
                  ×
                </button>
              )}
            </div>
            {values.length === 0 ? (
              <div className="facet-empty">{loading ? '…' : '—'}</div>
            ) : (
              <ul className="facet-values">
                {values.map((v) => (
                  <li key={v.value} className="facet-row">
                    {onPickMany && (
                      <input
                        type="checkbox"
                        className="facet-check"
                        data-testid="facet-check"
                        data-field={field}
                        data-value={v.value}
                        aria-label={`Select ${field}: ${v.value === '' ? '(empty)' : v.value}`}
                        checked={selected.includes(v.value)}
                        onChange={(e: ChangeEvent<HTMLInputElement>) => toggle(field, v.value, e.target.checked)}
                      />
                    )}
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
            {onPickMany && selected.length > 0 && (
              <div className="facet-actions" role="group" aria-label={`Filter by the selected ${field} values`}>
                <button type="button" data-testid="facet-include" onClick={() => apply(field, false)}>
                  Any of {selected.length}
                </button>
                <button type="button" data-testid="facet-exclude" onClick={() => apply(field, true)}>
                  Exclude {selected.length}
                </button>
                <button type="button" data-testid="facet-clear" onClick={() => setChecked((c) => ({ ...c, [field]: [] }))}>
                  Clear
                </button>
              </div>
            )}
          </section>
        );
      })}
      {choices.length > 0 && (
        <label className="facet-add">
          Add a facet on an attribute
          <select
            data-testid="facet-add"
            value=""
            onChange={(e: ChangeEvent<HTMLSelectElement>) => {
              if (e.target.value) onAddField?.(e.target.value);
            }}
          >
            <option value="">choose a key…</option>
            {choices.map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
        </label>
      )}
    </aside>
  );
}

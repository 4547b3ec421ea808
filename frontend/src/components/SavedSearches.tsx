import { useCallback, useEffect, useState, type FormEvent } from 'react';
import {
  ApiError,
  createSavedSearch,
  deleteSavedSearch,
  errorMessage,
  listSavedSearches,
  updateSavedSearch,
} from '../api';
import { isPreset, type TimeRange } from '../timeRange';
import type { SavedSearch, SavedSearchOptions } from '../types';

export function rangeToOptions(range: TimeRange): SavedSearchOptions {
  return range.kind === 'relative' ? { range: range.preset } : { since: range.since, until: range.until };
}

export function optionsToRange(options: SavedSearchOptions | null | undefined): TimeRange | null {
  if (!options) return null;
  if (isPreset(options.range)) return { kind: 'relative', preset: options.range };
  if (typeof options.since === 'string' && typeof options.until === 'string') {
    return { kind: 'absolute', since: options.since, until: options.until };
  }
  return null;
}

export interface SavedSearchesProps {
  query: string;
  range: TimeRange;
  /** Viewers may only read. */
  canWrite: boolean;
  onOpen: (query: string, range: TimeRange | null) => void;
  /** Changes when the tenant changes, to reload the list. */
  reloadKey?: string;
}

/** The tenant's saved searches: open, save the current one, rename, delete. */
export function SavedSearches({ query, range, canWrite, onOpen, reloadKey = '' }: SavedSearchesProps) {
  const [items, setItems] = useState<SavedSearch[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [renaming, setRenaming] = useState<{ id: number; name: string } | null>(null);

  const reload = useCallback(() => {
    listSavedSearches()
      .then((list) => {
        setItems(list);
        setError(null);
      })
      .catch((e) => setError(errorMessage(e)));
  }, []);

  useEffect(() => {
    setItems(null);
    reload();
  }, [reload, reloadKey]);

  const save = async (ev: FormEvent) => {
    ev.preventDefault();
    const n = name.trim();
    if (!n) return;
    try {
      const created = await createSavedSearch({ name: n, query, options: rangeToOptions(range) });
      setItems((list) => [...(list ?? []), created]);
      setName('');
      setError(null);
    } catch (e) {
      setError(e instanceof ApiError && e.code === 'name_taken' ? `“${n}” is already taken` : errorMessage(e));
    }
  };

  const rename = async (ev: FormEvent) => {
    ev.preventDefault();
    if (!renaming || !renaming.name.trim()) return;
    try {
      const updated = await updateSavedSearch(renaming.id, { name: renaming.name.trim() });
      setItems((list) => (list ?? []).map((s) => (s.id === updated.id ? updated : s)));
      setRenaming(null);
      setError(null);
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const remove = async (id: number) => {
    try {
      await deleteSavedSearch(id);
      setItems((list) => (list ?? []).filter((s) => s.id !== id));
      setError(null);
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <section className="saved-searches" data-testid="saved-searches" aria-label="Saved searches">
      <h3 className="facet-title">Saved searches</h3>
      {error && (
        <div className="list-note" role="alert" data-testid="saved-search-error">
          {error}
        </div>
      )}
      {items === null && !error && <div className="facet-empty">…</div>}
      {items !== null && items.length === 0 && <div className="facet-empty">None yet</div>}
      <ul className="saved-list">
        {(items ?? []).map((s) => (
          <li key={s.id} className="saved-search-item" data-testid="saved-search-item" data-id={s.id}>
            {renaming?.id === s.id ? (
              <form onSubmit={rename} className="saved-rename">
                <input
                  aria-label="New name"
                  data-testid="saved-search-rename-input"
                  value={renaming.name}
                  autoFocus
                  onChange={(e) => setRenaming({ id: s.id, name: e.target.value })}
                />
                <button type="submit">OK</button>
                <button type="button" onClick={() => setRenaming(null)}>
                  Cancel
                </button>
              </form>
            ) : (
              <>
                <button
                  type="button"
                  className="saved-open link-button"
                  data-testid="saved-search-open"
                  title={s.query}
                  onClick={() => onOpen(s.query, optionsToRange(s.options))}
                >
                  {s.name}
                </button>
                {canWrite && (
                  <span className="saved-actions">
                    <button
                      type="button"
                      className="link-button"
                      data-testid="saved-search-rename"
                      onClick={() => setRenaming({ id: s.id, name: s.name })}
                    >
                      rename
                    </button>
                    <button
                      type="button"
                      className="link-button"
                      data-testid="saved-search-delete"
                      onClick={() => void remove(s.id)}
                    >
                      delete
                    </button>
                  </span>
                )}
              </>
            )}
          </li>
        ))}
      </ul>
      {canWrite && (
        <form className="save-form" onSubmit={save}>
          <input
            aria-label="Name for this search"
            placeholder="Name this search"
            data-testid="save-search-name"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <button type="submit" data-testid="save-search" disabled={!name.trim()}>
            Save
          </button>
        </form>
      )}
    </section>
  );
}

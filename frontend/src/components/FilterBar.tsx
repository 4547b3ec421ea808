import { useEffect, useState, type FormEvent } from 'react';
import { LEVELS, isLevel, type App, type LogFilters } from '../types';

export interface FilterBarProps {
  /** Filters currently applied; the inputs start from (and follow) these. */
  value: LogFilters;
  apps: App[];
  onSearch: (filters: LogFilters) => void;
  busy?: boolean;
}

/** Message text, minimum level and app; Search (or Enter) applies them. */
export function FilterBar({ value, apps, onSearch, busy = false }: FilterBarProps) {
  const [q, setQ] = useState(value.q);
  const [level, setLevel] = useState<LogFilters['level']>(value.level);
  const [app, setApp] = useState(value.app);

  useEffect(() => {
    setQ(value.q);
    setLevel(value.level);
    setApp(value.app);
  }, [value]);

  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    onSearch({ q: q.trim(), level, app });
  };

  return (
    <form className="filter-bar" role="search" onSubmit={submit} data-testid="filter-bar">
      <input
        type="search"
        className="filter-text"
        data-testid="filter-text"
        aria-label="Message contains"
        placeholder="Message contains…"
        value={q}
        onChange={(e) => setQ(e.target.value)}
      />
      <select
        className="filter-level"
        data-testid="filter-level"
        aria-label="Minimum level"
        value={level}
        onChange={(e) => setLevel(isLevel(e.target.value) ? e.target.value : '')}
      >
        <option value="">Any level</option>
        {LEVELS.map((l) => (
          <option key={l} value={l}>
            {l}+
          </option>
        ))}
      </select>
      <select
        className="filter-app"
        data-testid="filter-app"
        aria-label="App"
        value={app}
        onChange={(e) => setApp(e.target.value)}
      >
        <option value="">All apps</option>
        {apps.map((a) => (
          <option key={a.slug} value={a.slug}>
            {a.name}
          </option>
        ))}
        {app && !apps.some((a) => a.slug === app) && <option value={app}>{app}</option>}
      </select>
      <button type="submit" className="search-button" data-testid="search-button" disabled={busy}>
        Search
      </button>
    </form>
  );
}

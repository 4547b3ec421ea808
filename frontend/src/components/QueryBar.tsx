import { useEffect, useRef, useState, type FormEvent } from 'react';

export interface QueryError {
  message: string;
  position: number | null;
  expected?: string | null;
}

export interface QueryBarProps {
  /** The applied query; the input starts from (and follows) it. */
  value: string;
  onSearch: (q: string) => void;
  busy?: boolean;
  error?: QueryError | null;
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable;
}

/** One input for the query language. Enter (or Search) runs it; `/` anywhere focuses it. */
export function QueryBar({ value, onSearch, busy = false, error = null }: QueryBarProps) {
  const [q, setQ] = useState(value);
  const inputRef = useRef<HTMLInputElement>(null);

  useEffect(() => setQ(value), [value]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      e.preventDefault();
      inputRef.current?.focus();
      inputRef.current?.select();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    onSearch(q.trim());
  };

  const pos = error?.position ?? null;
  return (
    <form className="query-bar" role="search" onSubmit={submit} data-testid="query-bar">
      <input
        ref={inputRef}
        type="search"
        className={`filter-text${error ? ' invalid' : ''}`}
        data-testid="filter-text"
        aria-label="Query"
        aria-invalid={error ? true : undefined}
        placeholder="Query, e.g. level:>=warn host:web-* timeout -healthcheck   (press / to focus)"
        value={q}
        spellCheck={false}
        onChange={(e) => setQ(e.target.value)}
      />
      <button type="submit" className="search-button" data-testid="search-button" disabled={busy}>
        Search
      </button>
      {error && (
        <div className="query-error" role="alert" data-testid="query-error" data-position={pos ?? undefined}>
          <span className="query-error-message">{error.message}</span>
          {pos !== null && (
            <>
              {' '}
              <span data-testid="query-error-position">at character {pos}</span>
              {error.expected && <span className="query-error-expected"> (expected {error.expected})</span>}
              <pre className="query-error-caret" aria-hidden="true">
                {value}
                {'\n'}
                {' '.repeat(Math.max(0, pos))}^
              </pre>
            </>
          )}
        </div>
      )}
    </form>
  );
}

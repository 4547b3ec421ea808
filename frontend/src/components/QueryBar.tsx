import { useEffect, useId, useLayoutEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { applySuggestion, suggest, type SuggestContext, type Suggestion } from '../suggest';

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
  /** What autocomplete can offer: app slugs, facet values, attribute keys. */
  suggestions?: SuggestContext;
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable;
}

/** The query language in brief (the `?` popover next to the input). */
function SyntaxHelp() {
  return (
    <details className="query-help" data-testid="query-help">
      <summary className="query-help-button" aria-label="Query syntax help" title="Query syntax help">
        ?
      </summary>
      <div className="query-help-popover" role="note">
        <table>
          <tbody>
            <tr><td><code>timeout db</code></td><td>words (all must match, in the message)</td></tr>
            <tr><td><code>"connection reset"</code></td><td>exact phrase</td></tr>
            <tr><td><code>fail*</code>, <code>*fail*</code></td><td>part of a word (<code>fail</code> alone finds the whole word only)</td></tr>
            <tr><td><code>timeout OR refused</code></td><td>either</td></tr>
            <tr><td><code>NOT healthcheck</code>, <code>-healthcheck</code></td><td>exclude</td></tr>
            <tr><td><code>(a OR b) c</code></td><td>grouping</td></tr>
            <tr><td><code>field:value</code></td><td>level, app, service, host, trace_id, span_id, message</td></tr>
            <tr><td><code>level:&gt;=warn</code></td><td>level and above (also &gt;, &lt;, &lt;=)</td></tr>
            <tr><td><code>attributes.user_id:42</code></td><td>an attribute</td></tr>
            <tr><td><code>attributes.n:&gt;=500</code></td><td>numeric comparison</td></tr>
            <tr><td><code>host:web-*</code></td><td>wildcard</td></tr>
            <tr><td><code>trace_id:*</code></td><td>field is present</td></tr>
          </tbody>
        </table>
        <p>Press <kbd>/</kbd> to focus the query, <kbd>↑</kbd>/<kbd>↓</kbd> and <kbd>Tab</kbd> or <kbd>Enter</kbd> to pick a suggestion, <kbd>Esc</kbd> to close it.</p>
      </div>
    </details>
  );
}

export interface QueryInputProps {
  value: string;
  onChange: (q: string) => void;
  suggestions?: SuggestContext;
  invalid?: boolean;
  /** `/` anywhere on the page focuses this input (the explorer's bar). */
  slashFocus?: boolean;
  testId?: string;
  label?: string;
  placeholder?: string;
  id?: string;
  describedBy?: string;
}

/**
 * An input for the query language with autocomplete (↑/↓, Tab/Enter picks, Esc closes) and the `?`
 * syntax help. Controlled: the caller owns the text. An Enter that picks nothing submits the
 * surrounding form.
 */
export function QueryInput({
  value: q,
  onChange: setQ,
  suggestions: ctx,
  invalid = false,
  slashFocus = false,
  testId = 'filter-text',
  label = 'Query',
  placeholder = 'Query, e.g. level:>=warn host:web-* timeout -healthcheck',
  id,
  describedBy,
}: QueryInputProps) {
  const [caret, setCaret] = useState(q.length);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const inputRef = useRef<HTMLInputElement>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  const pendingCaret = useRef<number | null>(null);
  const listId = useId();

  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (!slashFocus || e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      e.preventDefault();
      inputRef.current?.focus();
      inputRef.current?.select();
    };
    // A press outside the input closes the list (e.g. the histogram, which keeps the focus where it is).
    const onDown = (e: MouseEvent) => {
      if (wrapRef.current && e.target instanceof Node && !wrapRef.current.contains(e.target)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onDown);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onDown);
    };
  }, [slashFocus]);

  useLayoutEffect(() => {
    if (pendingCaret.current === null || !inputRef.current) return;
    inputRef.current.setSelectionRange(pendingCaret.current, pendingCaret.current);
    pendingCaret.current = null;
  });

  const result = useMemo(() => suggest(q, caret, ctx), [q, caret, ctx]);
  const items = open ? result.items : [];
  const shown = items.length > 0;

  const pick = (item: Suggestion) => {
    const next = applySuggestion(q, result, item);
    setQ(next.text);
    setCaret(next.caret);
    pendingCaret.current = next.caret;
    setActive(-1);
    // After a field name the values follow; after a value the word is done.
    setOpen(item.kind === 'field');
    inputRef.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (!shown) {
      if (e.key === 'ArrowDown' && result.items.length > 0) {
        e.preventDefault();
        setOpen(true);
        setActive(0);
      }
      if (e.key === 'Enter') setOpen(false);
      return;
    }
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive((i) => (i + 1) % items.length);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((i) => (i <= 0 ? items.length - 1 : i - 1));
    } else if ((e.key === 'Enter' || e.key === 'Tab') && active >= 0 && active < items.length) {
      e.preventDefault();
      pick(items[active]);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      setOpen(false);
      setActive(-1);
    } else if (e.key === 'Enter') {
      setOpen(false);
      setActive(-1);
    }
  };

  const trackCaret = () => {
    const el = inputRef.current;
    if (el) setCaret(el.selectionStart ?? el.value.length);
  };

  return (
    <>
      <div className="query-input-wrap" ref={wrapRef}>
        <input
          ref={inputRef}
          id={id}
          type="search"
          className={`filter-text${invalid ? ' invalid' : ''}`}
          data-testid={testId}
          aria-label={label}
          aria-invalid={invalid ? true : undefined}
          aria-describedby={describedBy}
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={shown}
          aria-controls={listId}
          aria-activedescendant={shown && active >= 0 ? `${listId}-${active}` : undefined}
          autoComplete="off"
          placeholder={placeholder}
          value={q}
          spellCheck={false}
          onChange={(e) => {
            setQ(e.target.value);
            setCaret(e.target.selectionStart ?? e.target.value.length);
            setOpen(true);
            setActive(-1);
          }}
          onKeyDown={onKeyDown}
          onKeyUp={(e) => {
            if (e.key === 'ArrowLeft' || e.key === 'ArrowRight' || e.key === 'Home' || e.key === 'End') trackCaret();
          }}
          onClick={trackCaret}
          onBlur={() => setOpen(false)}
        />
        {shown && (
          <ul className="query-suggestions" role="listbox" id={listId} data-testid="query-suggestions">
            {items.map((item, i) => (
              <li
                key={`${item.kind}:${item.insert}`}
                id={`${listId}-${i}`}
                role="option"
                aria-selected={i === active}
                className={`query-suggestion${i === active ? ' active' : ''} kind-${item.kind}`}
                data-testid="query-suggestion"
                // Keep the focus in the input; pick on press so blur does not close the list first.
                onMouseDown={(e) => {
                  e.preventDefault();
                  pick(item);
                }}
                onMouseEnter={() => setActive(i)}
              >
                {item.label}
              </li>
            ))}
          </ul>
        )}
      </div>
      <SyntaxHelp />
    </>
  );
}

/** The explorer's query bar: the query input, Search, and the server's error under it. Enter (or Search) runs it; `/` anywhere focuses it. */
export function QueryBar({ value, onSearch, busy = false, error = null, suggestions }: QueryBarProps) {
  const [q, setQ] = useState(value);

  useEffect(() => {
    setQ(value);
  }, [value]);

  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    onSearch(q.trim());
  };

  const pos = error?.position ?? null;
  return (
    <form className="query-bar" role="search" onSubmit={submit} data-testid="query-bar">
      <QueryInput
        value={q}
        onChange={setQ}
        suggestions={suggestions}
        invalid={!!error}
        slashFocus
        placeholder="Query, e.g. level:>=warn host:web-* timeout -healthcheck   (press / to focus)"
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

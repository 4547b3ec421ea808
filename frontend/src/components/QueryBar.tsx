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

const MARGIN = 8;

/** Where the popover fits: under the button, right-aligned to it, kept inside the viewport. */
function placePopover(button: HTMLElement, pop: HTMLElement) {
  const vw = document.documentElement.clientWidth;
  const vh = window.innerHeight;
  const r = button.getBoundingClientRect();
  const width = Math.min(460, vw - 2 * MARGIN);
  const left = Math.min(Math.max(MARGIN, r.right - width), vw - width - MARGIN);
  const top = Math.min(r.bottom + 6, vh - MARGIN - 120);
  pop.style.width = `${width}px`;
  pop.style.left = `${left}px`;
  pop.style.top = `${top}px`;
  pop.style.maxHeight = `${vh - top - MARGIN}px`;
}

/**
 * The query language and the keyboard in brief (the `?` popover next to the input). Esc or a press
 * outside closes it; Esc gives the focus back to the `?` button.
 */
export function SyntaxHelp() {
  const [open, setOpen] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const popRef = useRef<HTMLDivElement>(null);
  const popId = useId();

  useLayoutEffect(() => {
    if (!open) return;
    const place = () => {
      if (buttonRef.current && popRef.current) placePopover(buttonRef.current, popRef.current);
    };
    place();
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      setOpen(false);
      buttonRef.current?.focus();
    };
    const onDown = (e: MouseEvent) => {
      const t = e.target;
      if (!(t instanceof Node) || popRef.current?.contains(t) || buttonRef.current?.contains(t)) return;
      setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onDown);
    window.addEventListener('resize', place);
    window.addEventListener('scroll', place, true);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onDown);
      window.removeEventListener('resize', place);
      window.removeEventListener('scroll', place, true);
    };
  }, [open]);

  return (
    <div className={`query-help${open ? ' open' : ''}`} data-testid="query-help">
      <button
        ref={buttonRef}
        type="button"
        className="query-help-button"
        aria-label="Query syntax and keyboard help"
        title="Query syntax and keyboard help"
        aria-expanded={open}
        aria-controls={popId}
        onClick={() => setOpen((o) => !o)}
      >
        ?
      </button>
      {open && (
        <div className="query-help-popover" id={popId} ref={popRef} role="dialog" aria-label="Query syntax and keyboard help">
          <table>
            <caption>Query syntax</caption>
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
          <table data-testid="keyboard-help">
            <caption>Keyboard</caption>
            <tbody>
              <tr><td><kbd>/</kbd></td><td>focus the query (from anywhere but a text field)</td></tr>
              <tr><td><kbd>Enter</kbd></td><td>in the query: search; on a row: expand or collapse it</td></tr>
              <tr><td><kbd>↑</kbd>/<kbd>↓</kbd></td><td>in the query: move through suggestions (<kbd>Tab</kbd> or <kbd>Enter</kbd> picks one)</td></tr>
              <tr><td><kbd>↑</kbd>/<kbd>↓</kbd>, <kbd>j</kbd>/<kbd>k</kbd></td><td>in the results: move through rows</td></tr>
              <tr><td><kbd>Esc</kbd></td><td>close suggestions and popovers such as this one (the query text stays)</td></tr>
              <tr><td><kbd>Tab</kbd></td><td>the first stop on the page is a “Skip to results” link</td></tr>
            </tbody>
          </table>
        </div>
      )}
    </div>
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
          // Not type="search": Chromium clears a search field on Esc, and Esc here only closes the list.
          type="text"
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

import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type FocusEvent, type KeyboardEvent } from 'react';
import {
  defaultRangeExtractor,
  measureElement,
  observeElementRect,
  useVirtualizer,
  type Range,
  type Virtualizer,
} from '@tanstack/react-virtual';
import type { LogEntry } from '../types';
import { MAX_ROWS } from '../logStore';
import { EmptyState } from './EmptyState';
import { LogRow } from './LogRow';
import type { OnFilter } from './FilterButtons';

export interface LogListProps {
  entries: LogEntry[];
  nextCursor: string | null;
  loading?: boolean;
  loadingOlder?: boolean;
  error?: string | null;
  filtered?: boolean;
  trimmed?: boolean;
  onLoadOlder: () => void;
  /**
   * Live mode: new rows arrive at the top. When the reader is at the top they stay in view;
   * when scrolled away the view is kept on the rows being read.
   */
  live?: boolean;
  /** Marks the query's matches in messages. */
  highlight?: RegExp | null;
  /** + / − in a line's details. */
  onFilter?: OnFilter;
}

/** The element the "Skip to results" link focuses. */
export const RESULTS_ID = 'log-results';
/** Older pages load by themselves when the last rendered row is this close to the end. */
const LOAD_AHEAD_ROWS = 150;

export const ROW_HEIGHT = 27;
/** Pixels from the top that still count as "at the top edge" (new rows scroll into view). */
const TOP_EDGE = 4;
/** Used when the scroll box reports no size (jsdom, or before layout). */
const FALLBACK_HEIGHT = 800;

const observeRectWithFallback: typeof observeElementRect = (instance, cb) =>
  observeElementRect(instance, (rect) =>
    cb(rect.height > 0 ? rect : { width: rect.width || 1000, height: FALLBACK_HEIGHT }),
  );

/** The next row for a navigation key, or null for other keys. */
function nextIndex(key: string, current: number, count: number, page: number): number | null {
  switch (key) {
    case 'ArrowDown':
    case 'j':
      return Math.min(current + 1, count - 1);
    case 'ArrowUp':
    case 'k':
      return Math.max(current - 1, 0);
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    case 'PageDown':
      return Math.min(current + page, count - 1);
    case 'PageUp':
      return Math.max(current - page, 0);
    default:
      return null;
  }
}

const isRowButton = (el: EventTarget | null): el is HTMLElement =>
  el instanceof HTMLElement && el.classList.contains('log-row-summary');

function VirtualRows({
  entries,
  live,
  footer,
  highlight,
  onFilter,
  nearEnd,
}: {
  entries: LogEntry[];
  live: boolean;
  footer: React.ReactNode;
  highlight: RegExp | null;
  onFilter?: OnFilter;
  /** Called when the rendered rows come near the end of the loaded ones. */
  nearEnd?: () => void;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  // Keyboard: one tab stop (roving tabindex) on the active row, which is always rendered (see rangeExtractor).
  const [activeId, setActiveId] = useState<string | null>(null);
  const activeIndex = useMemo(() => {
    const i = activeId === null ? -1 : entries.findIndex((e) => e.id === activeId);
    return i < 0 ? 0 : i;
  }, [entries, activeId]);
  const focusPending = useRef(false);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set());
  const onToggle = useCallback((id: string) => {
    setExpanded((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);

  // Both must keep their identity between renders: a new getItemKey makes the virtualizer recompute every
  // row's offset (12 ms a frame at 100,000 rows), and so does each row measured at other than the estimate.
  const getItemKey = useCallback((i: number) => entries[i].id, [entries]);
  const [rowHeight, setRowHeight] = useState(ROW_HEIGHT);
  const estimateSize = useCallback(() => rowHeight, [rowHeight]);
  // The estimate follows a collapsed row's real height (fixed in CSS: one line wide, two on a phone).
  // No virtualizer.measure() when it changes: that would forget the heights of open rows; rows measured
  // at the new height make the virtualizer recompute the offsets below them with the new estimate.
  const collapsedHeight = useRef(ROW_HEIGHT);
  const measure = useCallback<typeof measureElement>((element, entry, instance) => {
    const size = measureElement(element, entry, instance);
    if (size <= 0) return instance.options.estimateSize(0); // not laid out (or jsdom)
    if (!element.classList.contains('expanded') && size !== collapsedHeight.current) {
      collapsedHeight.current = size;
      setRowHeight(size);
    }
    return size;
  }, []);

  const virtualizer: Virtualizer<HTMLDivElement, HTMLLIElement> = useVirtualizer({
    count: entries.length,
    getScrollElement: () => scrollRef.current,
    estimateSize,
    overscan: 12,
    getItemKey,
    observeElementRect: observeRectWithFallback,
    measureElement: measure,
    rangeExtractor: useCallback(
      (range: Range) => {
        const indexes = defaultRangeExtractor(range);
        if (activeIndex < range.count && !indexes.includes(activeIndex)) {
          indexes.push(activeIndex);
          indexes.sort((a, b) => a - b);
        }
        return indexes;
      },
      [activeIndex],
    ),
  });

  // Move focus to the active row once it is rendered where the virtualizer scrolled.
  useLayoutEffect(() => {
    if (!focusPending.current) return;
    focusPending.current = false;
    const button = scrollRef.current?.querySelector<HTMLElement>(`li[data-index="${activeIndex}"] > .log-row-summary`);
    button?.focus({ preventScroll: true });
  });

  const onKeyDown = (e: KeyboardEvent<HTMLUListElement>) => {
    if (!isRowButton(e.target) || e.altKey || e.ctrlKey || e.metaKey) return;
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 0) / rowHeight) - 1);
    const next = nextIndex(e.key, activeIndex, entries.length, page);
    if (next === null) return;
    e.preventDefault();
    focusPending.current = true;
    setActiveId(entries[next].id);
    virtualizer.scrollToIndex(next, { align: 'auto' });
  };
  // A click or Tab onto a row makes it the active one.
  const onFocus = (e: FocusEvent<HTMLUListElement>) => {
    if (!isRowButton(e.target)) return;
    const id = e.target.closest('li')?.dataset.id;
    if (id && id !== activeId) setActiveId(id);
  };

  // Keep the reader's place when rows are prepended while scrolled away from the top.
  const firstId = useRef<string | null>(entries[0]?.id ?? null);
  useLayoutEffect(() => {
    const prev = firstId.current;
    firstId.current = entries[0]?.id ?? null;
    const el = scrollRef.current;
    if (!live || !el || prev === null || prev === firstId.current) return;
    if (el.scrollTop <= TOP_EDGE) return; // at the top edge: follow the newest rows
    const added = entries.findIndex((e) => e.id === prev);
    if (added > 0) {
      let delta = 0;
      for (let i = 0; i < added; i++) delta += expanded.has(entries[i].id) ? rowHeight * 8 : rowHeight;
      virtualizer.scrollToOffset(el.scrollTop + delta);
    }
  }, [entries, live, expanded, virtualizer, rowHeight]);

  const items = virtualizer.getVirtualItems();
  const lastRendered = items.length ? items[items.length - 1].index : -1;
  useEffect(() => {
    if (nearEnd && lastRendered >= entries.length - LOAD_AHEAD_ROWS) nearEnd();
  }, [nearEnd, lastRendered, entries.length]);

  return (
    <div className="log-scroll" ref={scrollRef} data-testid="log-scroll">
      <ul
        className="log-rows"
        data-testid="log-rows"
        data-count={entries.length}
        aria-label={`${entries.length.toLocaleString('en-US')} log entries; arrow keys or j and k move, Enter opens`}
        style={{ height: virtualizer.getTotalSize() }}
        onKeyDown={onKeyDown}
        onFocus={onFocus}
      >
        {items.map((item) => {
          const entry = entries[item.index];
          return (
            <LogRow
              key={item.key}
              entry={entry}
              index={item.index}
              rowRef={virtualizer.measureElement}
              expanded={expanded.has(entry.id)}
              onToggle={onToggle}
              start={item.start}
              tabStop={item.index === activeIndex}
              highlight={highlight}
              onFilter={onFilter}
            />
          );
        })}
      </ul>
      {footer}
    </div>
  );
}

export function LogList({
  entries,
  nextCursor,
  loading = false,
  loadingOlder = false,
  error = null,
  filtered = false,
  trimmed = false,
  onLoadOlder,
  live = false,
  highlight = null,
  onFilter,
}: LogListProps) {
  const showEmpty = !loading && !error && entries.length === 0;
  const more = nextCursor !== null && entries.length > 0;
  // Infinite scroll; an error stops it (the button retries).
  const nearEnd = useMemo(
    () => (more && !loading && !loadingOlder && !error ? onLoadOlder : undefined),
    [more, loading, loadingOlder, error, onLoadOlder],
  );
  const footer = (
    <div className="list-footer">
      <div className="list-note" role="status" data-testid="list-status">
        {loadingOlder && <span data-testid="loading-older">Loading older…</span>}
        {!more && !trimmed && entries.length > 0 && (
          <span data-testid="end-of-results">
            End of results: {entries.length.toLocaleString('en-US')} {entries.length === 1 ? 'entry' : 'entries'}.
          </span>
        )}
      </div>
      {trimmed && (
        <div className="list-note" data-testid="trimmed-note">
          Showing the newest {MAX_ROWS.toLocaleString('en-US')} entries. Search again to page through older ones.
        </div>
      )}
      {more && (
        // Older pages load on scroll; the button is for keyboards and for retrying after an error.
        <div className="load-older-wrap">
          <button
            type="button"
            className="load-older"
            data-testid="load-older"
            onClick={onLoadOlder}
            disabled={loadingOlder || loading}
          >
            {loadingOlder ? 'Loading…' : 'Load older'}
          </button>
        </div>
      )}
    </div>
  );
  // The skip link lands here; hand focus on to the list's tab stop.
  const onSectionFocus = (e: FocusEvent<HTMLElement>) => {
    if (e.target !== e.currentTarget) return;
    e.currentTarget.querySelector<HTMLElement>('.log-row-summary[tabindex="0"]')?.focus();
  };
  return (
    <section
      className="log-list"
      id={RESULTS_ID}
      tabIndex={-1}
      onFocus={onSectionFocus}
      aria-label="Log entries"
      aria-busy={loading}
    >
      {error && (
        <div className="error-banner" role="alert" data-testid="error">
          {error}
        </div>
      )}
      {loading && (
        <div className="loading" data-testid="loading">
          Loading…
        </div>
      )}
      {showEmpty && <EmptyState filtered={filtered} />}
      {entries.length > 0 && (
        <VirtualRows
          entries={entries}
          live={live}
          footer={footer}
          highlight={highlight}
          onFilter={onFilter}
          nearEnd={nearEnd}
        />
      )}
    </section>
  );
}

import { useCallback, useLayoutEffect, useRef, useState } from 'react';
import { measureElement, observeElementRect, useVirtualizer, type Virtualizer } from '@tanstack/react-virtual';
import type { LogEntry } from '../types';
import { MAX_ROWS } from '../logStore';
import { EmptyState } from './EmptyState';
import { LogRow } from './LogRow';

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
}

export const ROW_HEIGHT = 27;
/** Pixels from the top that still count as "at the top edge" (new rows scroll into view). */
const TOP_EDGE = 4;
/** Used when the scroll box reports no size (jsdom, or before layout). */
const FALLBACK_HEIGHT = 800;

const observeRectWithFallback: typeof observeElementRect = (instance, cb) =>
  observeElementRect(instance, (rect) =>
    cb(rect.height > 0 ? rect : { width: rect.width || 1000, height: FALLBACK_HEIGHT }),
  );

/** A row that measures 0 (not laid out, or jsdom) keeps its estimated height. */
const measureWithFallback: typeof measureElement = (element, entry, instance) => {
  const size = measureElement(element, entry, instance);
  return size > 0 ? size : ROW_HEIGHT;
};

function VirtualRows({
  entries,
  live,
  footer,
}: {
  entries: LogEntry[];
  live: boolean;
  footer: React.ReactNode;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set());
  const onToggle = useCallback((id: string) => {
    setExpanded((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);

  const virtualizer: Virtualizer<HTMLDivElement, HTMLLIElement> = useVirtualizer({
    count: entries.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (i) => entries[i].id,
    observeElementRect: observeRectWithFallback,
    measureElement: measureWithFallback,
  });

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
      for (let i = 0; i < added; i++) delta += expanded.has(entries[i].id) ? ROW_HEIGHT * 8 : ROW_HEIGHT;
      virtualizer.scrollToOffset(el.scrollTop + delta);
    }
  }, [entries, live, expanded, virtualizer]);

  const items = virtualizer.getVirtualItems();
  return (
    <div className="log-scroll" ref={scrollRef} data-testid="log-scroll">
      <ul className="log-rows" data-testid="log-rows" style={{ height: virtualizer.getTotalSize() }}>
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
              style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${item.start}px)` }}
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
}: LogListProps) {
  const showEmpty = !loading && !error && entries.length === 0;
  const footer = (
    <>
      {trimmed && (
        <div className="list-note" data-testid="trimmed-note">
          Showing the newest {MAX_ROWS.toLocaleString('en-US')} entries. Search again to page through older ones.
        </div>
      )}
      {nextCursor !== null && entries.length > 0 && (
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
    </>
  );
  return (
    <section className="log-list" aria-label="Log entries" aria-busy={loading}>
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
      {entries.length > 0 && <VirtualRows entries={entries} live={live} footer={footer} />}
    </section>
  );
}

import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, errorMessage, getLogs, type SearchParams } from './api';
import { MAX_ROWS, appendOlder, prependLive } from './logStore';
import type { LogEntry } from './types';

/** The first page: small, so results show fast. */
export const PAGE_SIZE = 100;
/** Pages loaded while scrolling: 100,000 rows in 200 requests (the server allows up to 1000). */
export const OLDER_PAGE_SIZE = 500;

export interface LogSearchState {
  entries: LogEntry[];
  nextCursor: string | null;
  loading: boolean;
  loadingOlder: boolean;
  error: string | null;
  /** Set when the server rejected the query: where in the query text it failed. */
  errorPosition: number | null;
  errorExpected: string | null;
  /** Old rows were dropped to respect MAX_ROWS; older pages can no longer be loaded. */
  trimmed: boolean;
}

const INITIAL: LogSearchState = {
  entries: [],
  nextCursor: null,
  loading: false,
  loadingOlder: false,
  error: null,
  errorPosition: null,
  errorExpected: null,
  trimmed: false,
};

/**
 * History search over GET /api/v1/logs plus merging of live entries.
 * Stale answers (from an older search) are dropped.
 */
export function useLogSearch(onUnauthorized: () => void) {
  const [state, setState] = useState<LogSearchState>(INITIAL);
  const filtersRef = useRef<SearchParams | null>(null);
  const seqRef = useRef(0);
  const abortRef = useRef<AbortController | null>(null);
  const liveDuringSearch = useRef<LogEntry[]>([]);
  const loadingRef = useRef(false);
  const olderInFlight = useRef(false);
  const unauthorizedRef = useRef(onUnauthorized);
  unauthorizedRef.current = onUnauthorized;

  useEffect(() => () => abortRef.current?.abort(), []);

  const fail = useCallback((e: unknown, patch: Partial<LogSearchState>) => {
    if (e instanceof ApiError && e.isUnauthorized) unauthorizedRef.current();
    const api = e instanceof ApiError ? e : null;
    setState((s) => ({
      ...s,
      ...patch,
      error: errorMessage(e),
      errorPosition: api?.position ?? null,
      errorExpected: api?.expected ?? null,
    }));
  }, []);

  const search = useCallback(
    async (filters: SearchParams) => {
      const seq = ++seqRef.current;
      filtersRef.current = filters;
      abortRef.current?.abort();
      const controller = new AbortController();
      abortRef.current = controller;
      liveDuringSearch.current = [];
      loadingRef.current = true;
      olderInFlight.current = false;
      setState((s) => ({ ...s, loading: true, loadingOlder: false, error: null, errorPosition: null, errorExpected: null }));
      try {
        const page = await getLogs(
          { q: filters.q, since: filters.since, until: filters.until, limit: PAGE_SIZE },
          { signal: controller.signal },
        );
        if (seq !== seqRef.current) return;
        const merged = prependLive(page.results, liveDuringSearch.current);
        setState({
          entries: merged.entries,
          nextCursor: merged.trimmed ? null : page.next_cursor,
          loading: false,
          loadingOlder: false,
          error: null,
          errorPosition: null,
          errorExpected: null,
          trimmed: merged.trimmed,
        });
      } catch (e) {
        if (seq !== seqRef.current || (e as Error)?.name === 'AbortError') return;
        fail(e, { loading: false, entries: [], nextCursor: null, trimmed: false });
      } finally {
        if (seq === seqRef.current) loadingRef.current = false;
      }
    },
    [fail],
  );

  // Read through a ref so that loadOlder stays one function (the list calls it from an effect while scrolling).
  const stateRef = useRef(state);
  stateRef.current = state;

  const loadOlder = useCallback(async () => {
    const filters = filtersRef.current;
    const { nextCursor: cursor, loading } = stateRef.current;
    if (!filters || !cursor || olderInFlight.current || loading) return;
    const seq = seqRef.current;
    olderInFlight.current = true;
    setState((s) => ({ ...s, loadingOlder: true, error: null }));
    try {
      const page = await getLogs({
        q: filters.q,
        since: filters.since,
        until: filters.until,
        limit: OLDER_PAGE_SIZE,
        cursor,
      });
      if (seq !== seqRef.current) return;
      setState((s) => {
        const entries = appendOlder(s.entries, page.results);
        // At the cap, stop paging: the list says only the newest MAX_ROWS are shown.
        const capped = entries.length >= MAX_ROWS;
        return {
          ...s,
          entries: capped ? entries.slice(0, MAX_ROWS) : entries,
          nextCursor: capped ? null : page.next_cursor,
          trimmed: s.trimmed || (capped && (page.next_cursor !== null || entries.length > MAX_ROWS)),
          loadingOlder: false,
        };
      });
    } catch (e) {
      if (seq !== seqRef.current) return;
      fail(e, { loadingOlder: false });
    } finally {
      if (seq === seqRef.current) olderInFlight.current = false;
    }
  }, [fail]);

  /** New live entries, oldest first. */
  const addLive = useCallback((batch: LogEntry[]) => {
    if (loadingRef.current) liveDuringSearch.current.push(...batch);
    setState((s) => {
      const merged = prependLive(s.entries, batch);
      if (merged.entries === s.entries) return s;
      return {
        ...s,
        entries: merged.entries,
        trimmed: s.trimmed || merged.trimmed,
        nextCursor: merged.trimmed ? null : s.nextCursor,
      };
    });
  }, []);

  return { state, search, loadOlder, addLive };
}

import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, errorMessage, getLogs, type SearchParams } from './api';
import { appendOlder, prependLive } from './logStore';
import type { LogEntry } from './types';

export const PAGE_SIZE = 100;

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

  const loadOlder = useCallback(async () => {
    const filters = filtersRef.current;
    const cursor = state.nextCursor;
    if (!filters || !cursor || state.loadingOlder || state.loading) return;
    const seq = seqRef.current;
    setState((s) => ({ ...s, loadingOlder: true, error: null }));
    try {
      const page = await getLogs({
        q: filters.q,
        since: filters.since,
        until: filters.until,
        limit: PAGE_SIZE,
        cursor,
      });
      if (seq !== seqRef.current) return;
      setState((s) => ({
        ...s,
        entries: appendOlder(s.entries, page.results),
        nextCursor: page.next_cursor,
        loadingOlder: false,
      }));
    } catch (e) {
      if (seq !== seqRef.current) return;
      fail(e, { loadingOlder: false });
    }
  }, [state.nextCursor, state.loadingOlder, state.loading, fail]);

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

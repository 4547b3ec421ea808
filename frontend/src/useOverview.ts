import { useCallback, useMemo, useRef, useState } from 'react';
import { FACET_FIELDS, getCount, getFacets, getHistogram, type SearchParams } from './api';
import { useFetch } from './useFetch';
import { useLiveRefresh } from './liveRefresh';
import { resolveRange, type TimeRange } from './timeRange';

/** The facets API takes at most 10 fields; the four standard ones leave room for this many attribute keys. */
export const MAX_EXTRA_FACETS = 6;

/**
 * What sits around the log list: histogram, facets and the hit count of the current search,
 * refreshed while live (see useLiveRefresh), plus the attribute facets the user added.
 *
 * Live mode asks the server again rather than counting the live lines in the browser: facets are a
 * top-N (a value outside it can climb in), the histogram's buckets are the server's, and lines the
 * socket skipped under load would be missing from an incremental count.
 */
export function useOverview(params: SearchParams, range: TimeRange, enabled: boolean, live: boolean) {
  const [extraFields, setExtraFields] = useState<string[]>([]);
  const [refreshed, setRefreshed] = useState<{ base: SearchParams; at: number } | null>(null);

  // A refresh slides a relative range up to now; a new search starts from its own params again.
  const current = useMemo(() => {
    if (!refreshed || refreshed.base !== params) return params;
    return range.kind === 'relative' ? { ...params, since: resolveRange(range, refreshed.at).since } : { ...params };
  }, [params, range, refreshed]);

  const fields = useMemo(() => [...FACET_FIELDS, ...extraFields], [extraFields]);
  // Keyed by value plus a generation per search: an explicit re-run asks again, a re-render that
  // rebuilds equal params does not.
  const generation = useRef({ params, n: 0 });
  if (generation.current.params !== params) generation.current = { params, n: generation.current.n + 1 };
  const key = `${generation.current.n} ${JSON.stringify(current)}`;
  const histogram = useFetch((signal) => getHistogram(current, { signal }), key, enabled);
  const facets = useFetch((signal) => getFacets(current, fields, 10, { signal }), `${key} ${fields.join(',')}`, enabled);
  const count = useFetch((signal) => getCount(current, { signal }), key, enabled);

  const noteLive = useLiveRefresh({
    live: live && enabled,
    busy: histogram.loading || facets.loading || count.loading,
    refresh: () => setRefreshed({ base: params, at: Date.now() }),
  });

  const addField = useCallback(
    (field: string) => setExtraFields((f) => (f.includes(field) || f.length >= MAX_EXTRA_FACETS ? f : [...f, field])),
    [],
  );
  const removeField = useCallback((field: string) => setExtraFields((f) => f.filter((x) => x !== field)), []);

  return { histogram, facets, count, fields, extraFields, addField, removeField, noteLive };
}

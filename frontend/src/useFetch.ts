import { useEffect, useState } from 'react';
import { errorMessage } from './api';

export interface FetchState<T> {
  data: T | null;
  loading: boolean;
  error: string | null;
}

/**
 * Runs `load` whenever `key` changes (and `enabled`), aborting the previous request;
 * keeps the previous data while loading so charts do not flicker.
 */
export function useFetch<T>(load: (signal: AbortSignal) => Promise<T>, key: unknown, enabled = true): FetchState<T> {
  const [state, setState] = useState<FetchState<T>>({ data: null, loading: false, error: null });
  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true, error: null }));
    load(controller.signal)
      .then((data) => {
        if (!controller.signal.aborted) setState({ data, loading: false, error: null });
      })
      .catch((e) => {
        if (controller.signal.aborted || (e as Error)?.name === 'AbortError') return;
        setState({ data: null, loading: false, error: errorMessage(e) });
      });
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, enabled]);
  return state;
}

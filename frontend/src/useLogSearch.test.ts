import { act, renderHook, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { makeEntry } from './test/fixtures';

const getLogs = vi.fn();
vi.mock('./api', async (importOriginal) => ({ ...(await importOriginal<typeof import('./api')>()), getLogs: (...a: unknown[]) => getLogs(...a) }));
vi.mock('./logStore', async (importOriginal) => ({ ...(await importOriginal<typeof import('./logStore')>()), MAX_ROWS: 5 }));

const { useLogSearch, OLDER_PAGE_SIZE, PAGE_SIZE } = await import('./useLogSearch');

describe('useLogSearch paging', () => {
  beforeEach(() => getLogs.mockReset());

  it('loads older pages of OLDER_PAGE_SIZE, one at a time, and stops at MAX_ROWS', async () => {
    const page = (n: number, cursor: string | null) => ({ results: Array.from({ length: n }, () => makeEntry()), next_cursor: cursor });
    getLogs.mockResolvedValueOnce(page(3, 'c1'));
    const { result } = renderHook(() => useLogSearch(() => {}));
    await act(() => result.current.search({ q: '', since: 'a', until: null }));
    expect(getLogs.mock.calls[0][0].limit).toBe(PAGE_SIZE);
    expect(result.current.state.entries).toHaveLength(3);

    let release: (v: unknown) => void = () => {};
    getLogs.mockReturnValueOnce(new Promise((r) => (release = r)));
    act(() => {
      void result.current.loadOlder();
      void result.current.loadOlder(); // a second call while one is in flight does nothing
    });
    expect(getLogs).toHaveBeenCalledTimes(2);
    expect(getLogs.mock.calls[1][0]).toMatchObject({ cursor: 'c1', limit: OLDER_PAGE_SIZE });
    await act(async () => release(page(4, 'c2')));
    await waitFor(() => expect(result.current.state.loadingOlder).toBe(false));
    expect(result.current.state.entries).toHaveLength(5);
    expect(result.current.state.nextCursor).toBeNull();
    expect(result.current.state.trimmed).toBe(true);
  });
});

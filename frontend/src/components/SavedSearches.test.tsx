import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SavedSearches, optionsToRange, rangeToOptions } from './SavedSearches';
import { jsonResponse } from '../test/fixtures';
import { setApiTenant } from '../api';
import type { SavedSearch } from '../types';

type Call = { method: string; path: string; body: unknown };

/** A tiny in-memory /api/v1/saved-searches. */
function fakeApi(initial: SavedSearch[]) {
  let items = [...initial];
  let nextId = 100;
  const calls: Call[] = [];
  const fn = vi.fn<typeof fetch>(async (input, init) => {
    const url = new URL(String(input), 'http://localhost');
    const method = (init?.method ?? 'GET').toUpperCase();
    const body = init?.body ? JSON.parse(String(init.body)) : null;
    calls.push({ method, path: url.pathname, body });
    const m = url.pathname.match(/^\/api\/v1\/saved-searches(?:\/(\d+))?$/);
    if (!m) return jsonResponse({ error: { status: 404, code: 'not_found', message: 'Not found' } }, 404);
    const id = m[1] ? Number(m[1]) : null;
    if (method === 'GET') return jsonResponse({ results: items });
    if (method === 'POST') {
      if (items.some((s) => s.name === body.name)) {
        return jsonResponse({ error: { status: 409, code: 'name_taken', message: 'taken' } }, 409);
      }
      const created = { id: nextId++, ...body } as SavedSearch;
      items.push(created);
      return jsonResponse(created, 201);
    }
    if (method === 'PATCH') {
      items = items.map((s) => (s.id === id ? { ...s, ...body } : s));
      return jsonResponse(items.find((s) => s.id === id));
    }
    if (method === 'DELETE') {
      items = items.filter((s) => s.id !== id);
      return new Response(null, { status: 204 });
    }
    return jsonResponse({}, 405);
  });
  vi.stubGlobal('fetch', fn);
  return { calls, items: () => items };
}

const ERRORS: SavedSearch = { id: 1, name: 'Errors', query: 'level:error', options: { range: '1h' } };
const SLOW: SavedSearch = {
  id: 2,
  name: 'Slow',
  query: 'attributes.ms:>=500',
  options: { since: '2026-11-29T00:00:00Z', until: '2026-11-29T01:00:00Z' },
};

beforeEach(() => setApiTenant(''));
afterEach(() => vi.unstubAllGlobals());

describe('SavedSearches', () => {
  it('lists the saved searches and opens one with its query and range', async () => {
    fakeApi([ERRORS, SLOW]);
    const onOpen = vi.fn();
    const user = userEvent.setup();
    render(<SavedSearches query="" range={{ kind: 'relative', preset: '24h' }} canWrite onOpen={onOpen} />);
    const items = await screen.findAllByTestId('saved-search-item');
    expect(items.map((i) => within(i).getByTestId('saved-search-open').textContent)).toEqual(['Errors', 'Slow']);
    await user.click(within(items[0]).getByTestId('saved-search-open'));
    expect(onOpen).toHaveBeenLastCalledWith('level:error', { kind: 'relative', preset: '1h' });
    await user.click(within(items[1]).getByTestId('saved-search-open'));
    expect(onOpen).toHaveBeenLastCalledWith('attributes.ms:>=500', {
      kind: 'absolute',
      since: '2026-11-29T00:00:00Z',
      until: '2026-11-29T01:00:00Z',
    });
  });

  it('saves the current query and range under a name', async () => {
    const api = fakeApi([]);
    const user = userEvent.setup();
    render(
      <SavedSearches
        query="timeout -healthcheck"
        range={{ kind: 'absolute', since: '2026-11-29T00:00:00Z', until: '2026-11-29T02:00:00Z' }}
        canWrite
        onOpen={() => {}}
      />,
    );
    expect(await screen.findByText('None yet')).toBeInTheDocument();
    expect(screen.getByTestId('save-search')).toBeDisabled();
    await user.type(screen.getByTestId('save-search-name'), 'Timeouts');
    await user.click(screen.getByTestId('save-search'));
    const item = await screen.findByTestId('saved-search-item');
    expect(item).toHaveTextContent('Timeouts');
    expect(screen.getByTestId('save-search-name')).toHaveValue('');
    const post = api.calls.find((c) => c.method === 'POST')!;
    expect(post.body).toEqual({
      name: 'Timeouts',
      query: 'timeout -healthcheck',
      options: { since: '2026-11-29T00:00:00Z', until: '2026-11-29T02:00:00Z' },
    });
  });

  it('says when the name is taken', async () => {
    fakeApi([ERRORS]);
    const user = userEvent.setup();
    render(<SavedSearches query="x" range={{ kind: 'relative', preset: '1h' }} canWrite onOpen={() => {}} />);
    await screen.findByTestId('saved-search-item');
    await user.type(screen.getByTestId('save-search-name'), 'Errors{Enter}');
    expect(await screen.findByTestId('saved-search-error')).toHaveTextContent('“Errors” is already taken');
    expect(screen.getAllByTestId('saved-search-item')).toHaveLength(1);
  });

  it('renames and deletes', async () => {
    const api = fakeApi([ERRORS, SLOW]);
    const user = userEvent.setup();
    render(<SavedSearches query="" range={{ kind: 'relative', preset: '1h' }} canWrite onOpen={() => {}} />);
    const [first] = await screen.findAllByTestId('saved-search-item');
    await user.click(within(first).getByTestId('saved-search-rename'));
    const input = screen.getByTestId('saved-search-rename-input');
    expect(input).toHaveValue('Errors');
    await user.clear(input);
    await user.type(input, 'All errors{Enter}');
    await waitFor(() => expect(screen.getAllByTestId('saved-search-open')[0]).toHaveTextContent('All errors'));
    expect(api.calls.find((c) => c.method === 'PATCH')).toMatchObject({ path: '/api/v1/saved-searches/1', body: { name: 'All errors' } });

    const second = screen.getAllByTestId('saved-search-item')[1];
    await user.click(within(second).getByTestId('saved-search-delete'));
    await waitFor(() => expect(screen.getAllByTestId('saved-search-item')).toHaveLength(1));
    expect(api.calls.find((c) => c.method === 'DELETE')?.path).toBe('/api/v1/saved-searches/2');
    expect(api.items().map((s) => s.name)).toEqual(['All errors']);
  });

  it('a viewer can open but sees no save, rename or delete controls', async () => {
    fakeApi([ERRORS]);
    const onOpen = vi.fn();
    const user = userEvent.setup();
    render(<SavedSearches query="" range={{ kind: 'relative', preset: '1h' }} canWrite={false} onOpen={onOpen} />);
    await screen.findByTestId('saved-search-item');
    expect(screen.queryByTestId('save-search-name')).not.toBeInTheDocument();
    expect(screen.queryByTestId('save-search')).not.toBeInTheDocument();
    expect(screen.queryByTestId('saved-search-rename')).not.toBeInTheDocument();
    expect(screen.queryByTestId('saved-search-delete')).not.toBeInTheDocument();
    await user.click(screen.getByTestId('saved-search-open'));
    expect(onOpen).toHaveBeenCalledWith('level:error', { kind: 'relative', preset: '1h' });
  });

  it('converts ranges to saved options and back', () => {
    expect(rangeToOptions({ kind: 'relative', preset: '7d' })).toEqual({ range: '7d' });
    expect(optionsToRange({ range: 'bogus' })).toBeNull();
    expect(optionsToRange(null)).toBeNull();
  });
});

import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import App from './App';
import { FakeWebSocket, fakeSocketFactory } from './test/FakeWebSocket';
import { jsonResponse, makeEntry } from './test/fixtures';
import type { LogEntry } from './types';

const ME = {
  user: { username: 'admin' },
  tenant: { slug: 'demo', name: 'Demo' },
  tenants: [{ slug: 'demo', name: 'Demo', role: 'owner' }],
};

type Route = (url: URL) => Response | undefined;

function routeFetch(logs: Route, me: () => Response = () => jsonResponse(ME)) {
  const fn = vi.fn<typeof fetch>(async (input) => {
    const url = new URL(String(input), 'http://localhost');
    if (url.pathname === '/api/v1/me') return me();
    if (url.pathname === '/api/v1/apps') return jsonResponse({ results: [{ slug: 'web', name: 'Web' }] });
    if (url.pathname === '/api/v1/logs') {
      const r = logs(url);
      if (r) return r;
    }
    return jsonResponse({ error: { status: 404, code: 'not_found', message: 'Not found' } }, 404);
  });
  vi.stubGlobal('fetch', fn);
  return fn;
}

function logUrls(fn: ReturnType<typeof routeFetch>): URL[] {
  return fn.mock.calls
    .map((c) => new URL(String(c[0]), 'http://localhost'))
    .filter((u) => u.pathname === '/api/v1/logs');
}

const messages = () => screen.getAllByTestId('log-message').map((e) => e.textContent);

beforeEach(() => FakeWebSocket.reset());
afterEach(() => vi.unstubAllGlobals());

describe('App', () => {
  it('shows a sign-in link when /me answers 401', async () => {
    routeFetch(
      () => undefined,
      () => jsonResponse({ error: { status: 401, code: 'not_authenticated', message: 'Sign in' } }, 401),
    );
    render(<App />);
    const link = await screen.findByText('Signed out — sign in');
    expect(link).toHaveAttribute('href', '/accounts/login/?next=/');
  });

  it('loads the session and logs, then pages with "Load older" using the same filters', async () => {
    const user = userEvent.setup();
    const page1 = [makeEntry({ message: 'newest' }), makeEntry({ message: 'middle' })];
    const page2 = [makeEntry({ message: 'oldest' })];
    const fetchMock = routeFetch((url) => {
      if (url.searchParams.get('cursor') === 'c2') return jsonResponse({ results: page2, next_cursor: null });
      return jsonResponse({ results: page1, next_cursor: 'c2' });
    });
    render(<App />);

    expect(await screen.findByTestId('tenant-name')).toHaveTextContent('Demo');
    expect(screen.getByTestId('username')).toHaveTextContent('admin');
    expect(screen.getByTestId('admin-link')).toHaveAttribute('href', '/admin/');
    expect(screen.getByTestId('sign-out').closest('form')).toHaveAttribute('action', '/accounts/logout/');
    await waitFor(() => expect(messages()).toEqual(['newest', 'middle']));
    await screen.findByRole('option', { name: 'Web' });

    await user.type(screen.getByTestId('filter-text'), 'e{Enter}');
    await waitFor(() => expect(logUrls(fetchMock)).toHaveLength(2));
    expect(logUrls(fetchMock)[1].searchParams.get('q')).toBe('e');

    await user.click(await screen.findByTestId('load-older'));
    await waitFor(() => expect(messages()).toEqual(['newest', 'middle', 'oldest']));
    const older = logUrls(fetchMock)[2];
    expect(older.searchParams.get('cursor')).toBe('c2');
    expect(older.searchParams.get('q')).toBe('e');
    expect(screen.queryByTestId('load-older')).not.toBeInTheDocument();
  });

  it('shows error.message when the logs request fails', async () => {
    routeFetch(() =>
      jsonResponse({ error: { status: 400, code: 'invalid_level', message: 'Unknown level', field: 'level' } }, 400),
    );
    render(<App />);
    expect(await screen.findByTestId('error')).toHaveTextContent('Unknown level');
    expect(screen.queryByTestId('empty-state')).not.toBeInTheDocument();
  });

  it('live mode subscribes with the current filters and prepends new entries', async () => {
    const user = userEvent.setup();
    routeFetch(() => jsonResponse({ results: [makeEntry({ message: 'history' })], next_cursor: null }));
    render(<App createSocket={fakeSocketFactory} />);
    await waitFor(() => expect(messages()).toEqual(['history']));

    await user.selectOptions(screen.getByTestId('filter-level'), 'warn');
    await user.click(screen.getByTestId('search-button'));
    await user.click(screen.getByTestId('live-toggle'));

    expect(screen.getByTestId('live-status')).toHaveTextContent('connecting');
    const ws = FakeWebSocket.last();
    act(() => ws.serverOpen());
    expect(screen.getByTestId('live-status')).toHaveTextContent('live');
    expect(ws.sentJson()).toEqual([{ type: 'subscribe', app: null, level: 'warn', q: null }]);

    const batch: LogEntry[] = [makeEntry({ message: 'live-1' }), makeEntry({ message: 'live-2' })];
    act(() => ws.serverSend({ type: 'entries', entries: batch }));
    await waitFor(() => expect(messages()).toEqual(['live-2', 'live-1', 'history']));
    expect(within(screen.getAllByTestId('log-row')[0]).getByTestId('level-badge')).toHaveTextContent('info');

    act(() => ws.serverClose());
    expect(screen.getByTestId('live-status')).toHaveTextContent('reconnecting');

    await user.click(screen.getByTestId('live-toggle'));
    expect(screen.queryByTestId('live-status')).not.toBeInTheDocument();
  });
});

import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import App from './App';
import { setApiTenant } from './api';
import { FakeWebSocket, fakeSocketFactory } from './test/FakeWebSocket';
import { jsonResponse, makeEntry } from './test/fixtures';
import type { LogEntry } from './types';

const ME = {
  user: { username: 'admin' },
  tenant: { slug: 'demo', name: 'Demo', role: 'owner' },
  tenants: [{ slug: 'demo', name: 'Demo', role: 'owner' }],
};

type Route = (url: URL) => Response | undefined;

const FACETS = {
  facets: {
    level: [{ value: 'error', count: 3 }],
    app: [{ value: 'web', count: 5 }],
    service: [{ value: 'api', count: 5 }],
    host: [{ value: 'web-1', count: 5 }],
  },
};

function routeFetch(logs: Route, me: () => Response = () => jsonResponse(ME)) {
  const fn = vi.fn<typeof fetch>(async (input) => {
    const url = new URL(String(input), 'http://localhost');
    if (url.pathname === '/api/v1/me') return me();
    if (url.pathname === '/api/v1/apps') return jsonResponse({ results: [{ slug: 'web', name: 'Web' }] });
    if (url.pathname === '/api/v1/saved-searches') return jsonResponse([]);
    if (url.pathname === '/api/v1/logs/facets') return jsonResponse(FACETS);
    if (url.pathname === '/api/v1/logs/count') return jsonResponse({ count: 10000, exact: false, bound: 10000 });
    if (url.pathname === '/api/v1/logs/histogram') {
      return jsonResponse({ interval: 60, since: '2026-11-29T00:00:00Z', until: '2026-11-29T01:00:00Z', buckets: [] });
    }
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

beforeEach(() => {
  FakeWebSocket.reset();
  window.history.replaceState(null, '', '/');
  setApiTenant('');
});
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

  it('asks for the hit count after the first page, with the same search, and shows it', async () => {
    window.history.replaceState(null, '', '/?q=timeout');
    const fetchMock = routeFetch(() => jsonResponse({ results: [makeEntry({ message: 'a timeout' })], next_cursor: null }));
    render(<App />);
    expect(await screen.findByTestId('hit-count')).toHaveTextContent('more than 10,000 lines');
    const paths = fetchMock.mock.calls.map((c) => new URL(String(c[0]), 'http://localhost'));
    const list = paths.findIndex((u) => u.pathname === '/api/v1/logs');
    const count = paths.findIndex((u) => u.pathname === '/api/v1/logs/count');
    expect(list).toBeGreaterThanOrEqual(0);
    expect(count).toBeGreaterThan(list);
    expect(paths[count].searchParams.get('q')).toBe('timeout');
  });

  it('loads the session and logs, runs a query from the URL, and loads older pages by itself', async () => {
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
    // Two rows do not fill the list, so the older page follows without a click.
    await waitFor(() => expect(messages()).toEqual(['newest', 'middle', 'oldest']));
    // default range: last 24h, relative (no until)
    const first = logUrls(fetchMock)[0];
    expect(first.searchParams.get('until')).toBeNull();
    const sinceMs = Date.parse(first.searchParams.get('since') ?? '');
    expect(Math.abs(Date.now() - 86_400_000 - sinceMs)).toBeLessThan(60_000);
    expect(logUrls(fetchMock)[1].searchParams.get('cursor')).toBe('c2');
    expect(logUrls(fetchMock)[1].searchParams.get('limit')).toBe('500');
    expect(screen.getByTestId('end-of-results')).toHaveTextContent('3 entries');
    expect(screen.queryByTestId('load-older')).not.toBeInTheDocument();

    await user.type(screen.getByTestId('filter-text'), 'level:>=warn{Enter}');
    await waitFor(() => expect(logUrls(fetchMock)).toHaveLength(4));
    expect(logUrls(fetchMock)[2].searchParams.get('q')).toBe('level:>=warn');
    expect(window.location.search).toBe('?q=level%3A%3E%3Dwarn');
    const older = logUrls(fetchMock)[3];
    expect(older.searchParams.get('cursor')).toBe('c2');
    expect(older.searchParams.get('q')).toBe('level:>=warn');
    await waitFor(() => expect(messages()).toEqual(['newest', 'middle', 'oldest']));
  });

  it('autocompletes apps from /api/v1/apps, hosts from the facets and attribute keys from the entries', async () => {
    const user = userEvent.setup();
    routeFetch(() => jsonResponse({ results: [makeEntry({ attributes: { order_id: 'A-17' } })], next_cursor: null }));
    render(<App />);
    await waitFor(() => expect(messages()).toHaveLength(1));
    await waitFor(() => expect(screen.getAllByTestId('facet-value').length).toBeGreaterThan(0));
    const input = screen.getByTestId('filter-text');
    const options = () => screen.queryAllByTestId('query-suggestion').map((e) => e.textContent);
    await user.type(input, 'app:');
    await waitFor(() => expect(options()).toEqual(['web']));
    await user.clear(input);
    await user.type(input, 'host:');
    expect(options()).toEqual(['web-1']);
    await user.clear(input);
    await user.type(input, 'attributes.o');
    expect(options()).toEqual(['attributes.order_id:']);
    await user.keyboard('{ArrowDown}{Tab}');
    expect(input).toHaveValue('attributes.order_id:');
    expect(options()).toEqual(['A-17']);
  });

  it('restores query, absolute range and live from a shared URL', async () => {
    window.history.replaceState(
      null,
      '',
      '/?q=timeout&since=2026-11-29T00%3A00%3A00.000Z&until=2026-11-29T01%3A00%3A00.000Z',
    );
    const fetchMock = routeFetch(() => jsonResponse({ results: [], next_cursor: null }));
    render(<App />);
    await waitFor(() => expect(logUrls(fetchMock)).toHaveLength(1));
    const u = logUrls(fetchMock)[0];
    expect(u.searchParams.get('q')).toBe('timeout');
    expect(u.searchParams.get('since')).toBe('2026-11-29T00:00:00.000Z');
    expect(u.searchParams.get('until')).toBe('2026-11-29T01:00:00.000Z');
    expect(screen.getByTestId('filter-text')).toHaveValue('timeout');
    expect(screen.getByTestId('export-csv').getAttribute('href')).toBe(
      '/api/v1/logs/export?q=timeout&since=2026-11-29T00%3A00%3A00.000Z&until=2026-11-29T01%3A00%3A00.000Z&format=csv',
    );
  });

  it('a preset updates the URL with a relative range; facet click and alt-click edit the query', async () => {
    const user = userEvent.setup();
    const fetchMock = routeFetch(() => jsonResponse({ results: [makeEntry()], next_cursor: null }));
    render(<App />);
    await user.click(await screen.findByTestId('range-15m'));
    expect(window.location.search).toBe('?range=15m');

    const facetValues = await screen.findAllByTestId('facet-value');
    const errorFacet = facetValues.find((b) => b.dataset.value === 'error')!;
    await user.click(errorFacet);
    expect(screen.getByTestId('filter-text')).toHaveValue('level:error');
    const hostFacet = screen.getAllByTestId('facet-value').find((b) => b.dataset.value === 'web-1')!;
    fireEvent.click(hostFacet, { altKey: true });
    expect(screen.getByTestId('filter-text')).toHaveValue('level:error -host:web-1');
    await waitFor(() => expect(logUrls(fetchMock).at(-1)?.searchParams.get('q')).toBe('level:error -host:web-1'));
    expect(new URLSearchParams(window.location.search).get('range')).toBe('15m');
  });

  it('shows the server message and position for a bad query', async () => {
    const user = userEvent.setup();
    routeFetch((url) =>
      url.searchParams.get('q')
        ? jsonResponse(
            {
              error: {
                status: 400,
                code: 'invalid_query',
                message: 'unexpected end of query',
                field: 'q',
                position: 7,
                expected: 'a value',
              },
            },
            400,
          )
        : jsonResponse({ results: [], next_cursor: null }),
    );
    render(<App />);
    await user.type(await screen.findByTestId('filter-text'), 'level:>{Enter}');
    const err = await screen.findByTestId('query-error');
    expect(err).toHaveTextContent('unexpected end of query');
    expect(screen.getByTestId('query-error-position')).toHaveTextContent('at character 7');
    expect(err).toHaveTextContent('expected a value');
  });

  it('shows error.message when the logs request fails', async () => {
    routeFetch(() => jsonResponse({ error: { status: 500, code: 'db_down', message: 'Database unavailable' } }, 500));
    render(<App />);
    expect(await screen.findByTestId('error')).toHaveTextContent('Database unavailable');
    expect(screen.queryByTestId('empty-state')).not.toBeInTheDocument();
  });

  it('live mode subscribes with the query, prepends entries, pauses and resumes, shows skipped', async () => {
    const user = userEvent.setup();
    routeFetch(() => jsonResponse({ results: [makeEntry({ message: 'history' })], next_cursor: null }));
    render(<App createSocket={fakeSocketFactory} />);
    await waitFor(() => expect(messages()).toEqual(['history']));

    await user.type(screen.getByTestId('filter-text'), 'level:>=warn{Enter}');
    await user.click(screen.getByTestId('live-toggle'));
    expect(new URLSearchParams(window.location.search).get('live')).toBe('1');

    expect(screen.getByTestId('live-status')).toHaveTextContent('connecting');
    const ws = FakeWebSocket.last();
    act(() => ws.serverOpen());
    expect(screen.getByTestId('live-status')).toHaveTextContent('live');
    expect(ws.sentJson()).toEqual([{ type: 'subscribe', q: 'level:>=warn' }]);

    const batch: LogEntry[] = [makeEntry({ message: 'live-1' }), makeEntry({ message: 'live-2' })];
    act(() => ws.serverSend({ type: 'entries', entries: batch }));
    await waitFor(() => expect(messages()).toEqual(['live-2', 'live-1', 'history']));
    expect(within(screen.getAllByTestId('log-row')[0]).getByTestId('level-badge')).toHaveTextContent('info');

    await user.click(screen.getByTestId('live-pause'));
    expect(ws.sentJson().at(-1)).toEqual({ type: 'pause' });
    expect(screen.getByTestId('live-pause')).toHaveTextContent('Resume');
    await user.click(screen.getByTestId('live-pause'));
    expect(ws.sentJson().at(-1)).toEqual({ type: 'resume' });

    expect(screen.queryByTestId('live-skipped')).not.toBeInTheDocument();
    act(() => ws.serverSend({ type: 'skipped', count: 1500 }));
    expect(screen.getByTestId('live-skipped')).toHaveTextContent('Skipped 1,500 lines');

    act(() => ws.serverClose());
    expect(screen.getByTestId('live-status')).toHaveTextContent('reconnecting');

    await user.click(screen.getByTestId('live-toggle'));
    expect(screen.queryByTestId('live-status')).not.toBeInTheDocument();
  });

  it('switches tenant with the X-Devlogs-Tenant header when the user has several', async () => {
    const user = userEvent.setup();
    const two = { ...ME, tenants: [...ME.tenants, { slug: 'acme', name: 'Acme', role: 'viewer' }] };
    const fetchMock = routeFetch(() => jsonResponse({ results: [], next_cursor: null }), () => jsonResponse(two));
    render(<App />);
    await user.selectOptions(await screen.findByTestId('tenant-switcher'), 'acme');
    await waitFor(() => expect(window.location.search).toBe('?tenant=acme'));
    await waitFor(() => {
      const last = fetchMock.mock.calls.at(-1)!;
      expect(new Headers(last[1]?.headers).get('X-Devlogs-Tenant')).toBe('acme');
    });
  });

  it('opens a shared dashboard link in the dashboard\'s own range and keeps it in the URL', async () => {
    const uid = '0b5c9a7e-1111-4222-8333-444455556666';
    window.history.replaceState(null, '', `/?tenant=demo&view=dashboard&dashboard=${uid}`);
    const fetchMock = vi.fn<typeof fetch>(async (input) => {
      const url = new URL(String(input), 'http://localhost');
      if (url.pathname === '/api/v1/me') return jsonResponse(ME);
      if (url.pathname === '/api/v1/apps') return jsonResponse({ results: [] });
      if (url.pathname === `/api/v1/dashboards/${uid}`) {
        return jsonResponse({
          uid,
          name: 'Checkout',
          description: '',
          time_range: { range: '6h' },
          url: '',
          created_by: '',
          created_at: '',
          updated_at: '',
          widgets: [{ id: 1, title: 'Errors', kind: 'single_number', query: 'level:error', split_by: '', options: {}, x: 0, y: 0, w: 3, h: 2 }],
        });
      }
      if (url.pathname.endsWith('/widgets/1/data')) {
        return jsonResponse({ kind: 'single_number', since: '2026-11-29T06:00:00Z', until: '2026-11-29T12:00:00Z', data: { value: 7 } });
      }
      return jsonResponse({ error: { status: 404, code: 'not_found', message: 'Not found' } }, 404);
    });
    vi.stubGlobal('fetch', fetchMock);
    render(<App />);
    expect(await screen.findByTestId('widget-number')).toHaveTextContent('7');
    expect(screen.getByTestId('tab-dashboards')).toHaveClass('active');
    const params = new URLSearchParams(window.location.search);
    expect(Object.fromEntries(params)).toEqual({ view: 'dashboard', dashboard: uid, tenant: 'demo', range: '6h' });
    const dataUrls = fetchMock.mock.calls.map((c) => new URL(String(c[0]), 'http://localhost')).filter((u) => u.pathname.endsWith('/data'));
    expect(dataUrls).toHaveLength(1);
    const span = Date.parse(dataUrls[0].searchParams.get('until') ?? '') - Date.parse(dataUrls[0].searchParams.get('since') ?? '');
    expect(span).toBe(6 * 3_600_000);
  });

  it('has tabs for dashboards and alerts, and viewers get no Apps & keys tab', async () => {
    const user = userEvent.setup();
    const viewer = { ...ME, tenant: { ...ME.tenant, role: 'viewer' }, tenants: [{ slug: 'demo', name: 'Demo', role: 'viewer' }] };
    const fetchMock = routeFetch(() => jsonResponse({ results: [], next_cursor: null }), () => jsonResponse(viewer));
    const explorer = fetchMock.getMockImplementation()!;
    fetchMock.mockImplementation(async (input, init) => {
      const path = new URL(String(input), 'http://localhost').pathname;
      if (['/api/v1/alerts/rules', '/api/v1/alerts/channels', '/api/v1/dashboards'].includes(path)) return jsonResponse([]);
      return explorer(input, init);
    });
    render(<App />);
    await user.click(await screen.findByTestId('tab-alerts'));
    expect(await screen.findByTestId('alerts-page')).toBeInTheDocument();
    expect(window.location.search).toBe('?view=alerts');
    expect(screen.getByTestId('read-only-note')).toBeInTheDocument();
    expect(screen.queryByTestId('tab-keys')).not.toBeInTheDocument();
    await user.click(screen.getByTestId('tab-dashboards'));
    expect(await screen.findByTestId('dashboards-page')).toBeInTheDocument();
    expect(window.location.search).toBe('?view=dashboards');
    expect(screen.queryByTestId('create-dashboard')).not.toBeInTheDocument();
  });
});

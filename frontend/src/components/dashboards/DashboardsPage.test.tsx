import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DashboardsPage } from './DashboardsPage';
import { jsonResponse } from '../../test/fixtures';
import { setApiTenant } from '../../api';
import type { DashboardSummary } from '../../types';

const ITEM: DashboardSummary = {
  uid: 'aaaa-1',
  name: 'Checkout',
  description: 'shop health',
  time_range: { range: '6h' },
  widget_count: 4,
  url: '',
  created_by: 'ada',
  created_at: '2026-11-29T00:00:00Z',
  updated_at: '2026-11-29T10:00:00Z',
};

function fakeApi() {
  const calls: Array<{ method: string; path: string; body: unknown }> = [];
  vi.stubGlobal(
    'fetch',
    vi.fn<typeof fetch>(async (input, init) => {
      const url = new URL(String(input), 'http://localhost');
      const method = (init?.method ?? 'GET').toUpperCase();
      const body = init?.body ? JSON.parse(String(init.body)) : null;
      calls.push({ method, path: url.pathname, body });
      if (url.pathname === '/api/v1/dashboards' && method === 'GET') return jsonResponse([ITEM]);
      if (url.pathname === '/api/v1/dashboards' && method === 'POST') return jsonResponse({ ...ITEM, uid: 'bbbb-2', name: body.name, time_range: { range: '24h' }, widgets: [] }, 201);
      if (url.pathname === '/api/v1/dashboards/aaaa-1' && method === 'PATCH') return jsonResponse({ ...ITEM, ...body, widgets: [] });
      if (url.pathname === '/api/v1/dashboards/aaaa-1' && method === 'DELETE') return new Response(null, { status: 204 });
      return jsonResponse({ error: { status: 404, code: 'not_found', message: 'Not found' } }, 404);
    }),
  );
  return calls;
}

beforeEach(() => setApiTenant(''));
afterEach(() => vi.unstubAllGlobals());

describe('DashboardsPage', () => {
  it('lists dashboards with a shareable link and opens one', async () => {
    fakeApi();
    const user = userEvent.setup();
    const onOpen = vi.fn();
    render(<DashboardsPage canWrite tenant="acme" onOpen={onOpen} />);
    const row = await screen.findByTestId('dashboard-row');
    expect(row).toHaveTextContent('Checkout');
    expect(row).toHaveTextContent('last 6h');
    const link = within(row).getByTestId('dashboard-open');
    expect(link).toHaveAttribute('href', '/?view=dashboard&dashboard=aaaa-1&tenant=acme&range=6h');
    await user.click(link);
    expect(onOpen).toHaveBeenCalledWith('aaaa-1', { range: '6h' });
  });

  it('creates, renames and deletes', async () => {
    const calls = fakeApi();
    const user = userEvent.setup();
    const onOpen = vi.fn();
    vi.spyOn(window, 'confirm').mockReturnValue(true);
    render(<DashboardsPage canWrite tenant="acme" onOpen={onOpen} />);
    await screen.findByTestId('dashboard-row');

    await user.click(screen.getByTestId('dashboard-rename'));
    const input = screen.getByTestId('dashboard-rename-input');
    await user.clear(input);
    await user.type(input, 'Shop{Enter}');
    await waitFor(() => expect(screen.getByTestId('dashboard-row')).toHaveTextContent('Shop'));

    await user.click(screen.getByTestId('dashboard-delete'));
    await waitFor(() => expect(screen.queryByTestId('dashboard-row')).not.toBeInTheDocument());

    await user.type(screen.getByTestId('new-dashboard-name'), 'Payments');
    await user.click(screen.getByTestId('create-dashboard'));
    await waitFor(() => expect(onOpen).toHaveBeenCalledWith('bbbb-2', { range: '24h' }));

    expect(calls.filter((c) => c.method !== 'GET')).toEqual([
      { method: 'PATCH', path: '/api/v1/dashboards/aaaa-1', body: { name: 'Shop' } },
      { method: 'DELETE', path: '/api/v1/dashboards/aaaa-1', body: null },
      { method: 'POST', path: '/api/v1/dashboards', body: { name: 'Payments' } },
    ]);
  });

  it('shows viewers the list only', async () => {
    fakeApi();
    render(<DashboardsPage canWrite={false} tenant="acme" onOpen={() => {}} />);
    await screen.findByTestId('dashboard-row');
    expect(screen.queryByTestId('create-dashboard')).not.toBeInTheDocument();
    expect(screen.queryByTestId('dashboard-delete')).not.toBeInTheDocument();
  });
});

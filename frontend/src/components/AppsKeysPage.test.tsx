import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppsKeysPage } from './AppsKeysPage';
import { jsonResponse } from '../test/fixtures';
import { setApiTenant } from '../api';
import type { ApiKeyInfo } from '../types';

const KEY: ApiKeyInfo = {
  id: 1,
  prefix: 'dl_old',
  name: 'old key',
  app: 'web',
  scopes: ['ingest'],
  created_at: '2026-11-01T00:00:00Z',
  expires_at: null,
  revoked_at: null,
  last_used_at: null,
  active: true,
};

function fakeApi() {
  const posts: Array<{ path: string; body: unknown }> = [];
  const fn = vi.fn<typeof fetch>(async (input, init) => {
    const url = new URL(String(input), 'http://localhost');
    const method = (init?.method ?? 'GET').toUpperCase();
    const body = init?.body ? JSON.parse(String(init.body)) : null;
    if (method === 'POST') posts.push({ path: url.pathname, body });
    if (url.pathname === '/api/v1/apps' && method === 'GET') return jsonResponse({ results: [{ slug: 'web', name: 'Web' }] });
    if (url.pathname === '/api/v1/apps') return jsonResponse({ slug: 'billing', name: body.name }, 201);
    if (url.pathname === '/api/v1/keys' && method === 'GET') return jsonResponse({ results: [KEY] });
    if (url.pathname === '/api/v1/keys') {
      return jsonResponse(
        { ...KEY, id: 2, prefix: 'dl_new', name: body.name, app: body.app, scopes: body.scopes, key: 'dl_new_SECRET_VALUE' },
        201,
      );
    }
    if (url.pathname === '/api/v1/usage') {
      return jsonResponse({ tenant: 'acme', day: '2026-11-29', lines: 10, bytes: 2048, limits: { lines_per_second: null, bytes_per_day: null }, bytes_remaining: null, available: true });
    }
    if (url.pathname === '/api/v1/keys/1/rotate') {
      const expires = new Date(Date.parse('2026-11-29T12:00:00Z') + body.grace_hours * 3_600_000).toISOString();
      return jsonResponse(
        {
          ...KEY,
          id: 3,
          prefix: 'dl_rot',
          name: KEY.name,
          rotated_from: 'dl_old',
          key: 'dl_rot_SECRET_VALUE',
          previous: { ...KEY, expires_at: expires },
        },
        201,
      );
    }
    if (url.pathname === '/api/v1/keys/1/revoke') {
      return jsonResponse({ ...KEY, active: false, revoked_at: '2026-11-29T00:00:00Z' });
    }
    return jsonResponse({ error: { status: 404, code: 'not_found', message: 'Not found' } }, 404);
  });
  vi.stubGlobal('fetch', fn);
  return posts;
}

beforeEach(() => setApiTenant(''));
afterEach(() => vi.unstubAllGlobals());

describe('AppsKeysPage', () => {
  it('lists apps and keys and creates an app', async () => {
    const posts = fakeApi();
    const user = userEvent.setup();
    render(<AppsKeysPage />);
    expect(await screen.findByTestId('key-row')).toHaveTextContent('dl_old');
    expect(screen.getByTestId('app-list')).toHaveTextContent('Web');
    await user.type(screen.getByTestId('new-app-name'), 'Billing');
    await user.click(screen.getByTestId('create-app'));
    await waitFor(() => expect(screen.getByTestId('app-list')).toHaveTextContent('Billing'));
    expect(posts).toContainEqual({ path: '/api/v1/apps', body: { name: 'Billing' } });
  });

  it('shows a created key once, copies it, and forgets it on Done', async () => {
    const posts = fakeApi();
    const user = userEvent.setup();
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    render(<AppsKeysPage />);
    await screen.findByTestId('key-row');
    await user.type(screen.getByLabelText('Key name'), 'deploy');
    await user.click(screen.getByLabelText('read'));
    await user.click(screen.getByTestId('create-key'));

    expect(await screen.findByTestId('new-key-value')).toHaveTextContent('dl_new_SECRET_VALUE');
    expect(screen.getByTestId('new-key')).toHaveTextContent('it will not be shown again');
    expect(posts).toContainEqual({ path: '/api/v1/keys', body: { app: 'web', scopes: ['ingest', 'read'], name: 'deploy' } });
    // the list gets the new key, without its secret
    const rows = screen.getAllByTestId('key-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('dl_new');
    expect(within(screen.getByTestId('keys-table')).queryByText(/SECRET/)).not.toBeInTheDocument();

    await user.click(screen.getByTestId('copy-key'));
    expect(writeText).toHaveBeenCalledWith('dl_new_SECRET_VALUE');
    expect(await screen.findByText('Copied')).toBeInTheDocument();

    await user.click(screen.getByText('Done'));
    expect(screen.queryByTestId('new-key')).not.toBeInTheDocument();
    expect(screen.queryByText(/SECRET/)).not.toBeInTheDocument();
    Reflect.deleteProperty(navigator, 'clipboard');
  });

  it('rotates a key: the new one is shown once, the old one keeps working until its expiry', async () => {
    const posts = fakeApi();
    const user = userEvent.setup();
    render(<AppsKeysPage />);
    const row = await screen.findByTestId('key-row');
    expect(within(row).getByTestId('key-expires')).toHaveTextContent('never');
    await user.click(within(row).getByTestId('rotate-key'));
    const grace = screen.getByTestId('rotate-grace');
    expect(grace).toHaveValue(24);
    await user.clear(grace);
    await user.type(grace, '-1');
    expect(screen.getByTestId('rotate-confirm')).toBeDisabled();
    await user.clear(grace);
    await user.type(grace, '2');
    await user.click(screen.getByTestId('rotate-confirm'));

    expect(await screen.findByTestId('new-key-value')).toHaveTextContent('dl_rot_SECRET_VALUE');
    expect(screen.getByTestId('rotated-note')).toHaveTextContent('It replaces dl_old');
    expect(screen.getByTestId('old-key-expires')).toHaveTextContent('2026-11-29 14:00:00');
    expect(posts).toEqual([{ path: '/api/v1/keys/1/rotate', body: { grace_hours: 2 } }]);
    const rows = screen.getAllByTestId('key-row');
    expect(rows.map((r) => r.querySelector('code')?.textContent)).toEqual(['dl_rot', 'dl_old']);
    expect(within(rows[1]).getByTestId('key-expires')).toHaveTextContent('2026-11-29 14:00:00');
    expect(within(screen.getByTestId('keys-table')).queryByText(/SECRET/)).not.toBeInTheDocument();

    await user.click(screen.getByText('Done'));
    expect(screen.queryByText(/SECRET/)).not.toBeInTheDocument();
  });

  it('shows today\'s usage', async () => {
    fakeApi();
    render(<AppsKeysPage />);
    expect(await screen.findByTestId('usage-lines')).toHaveTextContent('10');
    expect(screen.getByTestId('usage-bytes')).toHaveTextContent('2.0 KiB');
    expect(screen.getByTestId('usage-limit')).toHaveTextContent('no limit');
  });

  it('revokes a key', async () => {
    const posts = fakeApi();
    const user = userEvent.setup();
    render(<AppsKeysPage />);
    const row = await screen.findByTestId('key-row');
    expect(row).toHaveAttribute('data-active', 'true');
    await user.click(within(row).getByTestId('revoke-key'));
    await waitFor(() => expect(screen.getByTestId('key-row')).toHaveAttribute('data-active', 'false'));
    expect(screen.getByTestId('key-row')).toHaveTextContent('revoked');
    expect(screen.queryByTestId('revoke-key')).not.toBeInTheDocument();
    expect(posts.map((p) => p.path)).toEqual(['/api/v1/keys/1/revoke']);
  });
});

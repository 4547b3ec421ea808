import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AlertsPage } from './AlertsPage';
import { jsonResponse, makeEntry } from '../../test/fixtures';
import { setApiTenant } from '../../api';
import type { AlertEvent, AlertRule, Channel } from '../../types';

function rule(overrides: Partial<AlertRule>): AlertRule {
  return {
    id: 1,
    name: 'rule',
    description: '',
    query: 'level:error',
    kind: 'count',
    comparison: 'above',
    threshold: 10,
    field: '',
    window_seconds: 300,
    interval_seconds: 60,
    channels: [],
    enabled: true,
    muted_until: null,
    condition: 'count > 10',
    state: 'ok',
    state_changed_at: null,
    last_evaluated_at: '2026-11-29T12:00:00Z',
    last_count: 3,
    last_error: '',
    next_evaluation_at: null,
    created_by: 'ada',
    created_at: '2026-11-29T00:00:00Z',
    updated_at: '2026-11-29T00:00:00Z',
    ...overrides,
  };
}

const RULES = [
  rule({ id: 1, name: 'Alpha quiet', state: 'ok' }),
  rule({ id: 2, name: 'Bravo errors', state: 'firing', last_count: 42, state_changed_at: '2026-11-29T11:58:00Z' }),
  rule({ id: 3, name: 'Charlie back', state: 'resolved', muted_until: '2999-01-01T00:00:00Z' }),
];

const CHANNELS: Channel[] = [
  { id: 7, name: 'ops hook', kind: 'webhook', url: 'https://hooks.example/…', emails: [], enabled: true, created_by: '', created_at: '', updated_at: '' },
];

const EVENT: AlertEvent = {
  id: 11,
  rule: { id: 2, name: 'Bravo errors' },
  state: 'firing',
  previous_state: 'ok',
  episode: 11,
  at: '2026-11-29T11:58:00Z',
  count: 42,
  window: { since: '2026-11-29T11:52:30Z', until: '2026-11-29T11:57:30Z' },
  query: 'level:error',
  condition: 'count > 10',
  new_values: [],
  samples: [makeEntry({ message: 'payment provider timeout', level: 'error' })],
  muted: false,
  url: 'http://elsewhere.example/?q=level%3Aerror',
  deliveries: [
    { id: 1, kind: 'firing', status: 'sent', attempts: 1, channel: { id: 7, name: 'ops hook', kind: 'webhook' }, last_error: '', response_status: 200, next_attempt_at: null, sent_at: '2026-11-29T11:58:01Z' },
  ],
};

interface Call {
  method: string;
  path: string;
  body: unknown;
}

function fakeApi(opts: { forbidWrites?: boolean } = {}) {
  const calls: Call[] = [];
  let rules = RULES.map((r) => ({ ...r }));
  const fn = vi.fn<typeof fetch>(async (input, init) => {
    const url = new URL(String(input), 'http://localhost');
    const method = (init?.method ?? 'GET').toUpperCase();
    const body = init?.body ? JSON.parse(String(init.body)) : null;
    calls.push({ method, path: url.pathname + url.search, body });
    if (method !== 'GET' && opts.forbidWrites) {
      return jsonResponse({ error: { status: 403, code: 'permission_denied', message: 'This needs a signed-in admin, member or owner of the tenant.', field: null } }, 403);
    }
    const p = url.pathname;
    if (p === '/api/v1/apps') return jsonResponse({ results: [{ slug: 'web', name: 'Web' }] });
    if (p === '/api/v1/alerts/rules' && method === 'GET') return jsonResponse(rules);
    if (p === '/api/v1/alerts/rules' && method === 'POST') {
      if (body.name === 'Taken') return jsonResponse({ error: { status: 409, code: 'name_taken', message: 'This tenant already has an alert rule with that name.', field: 'name' } }, 409);
      return jsonResponse(rule({ ...body, id: 9, condition: `count > ${body.threshold}` }), 201);
    }
    const m = p.match(/^\/api\/v1\/alerts\/rules\/(\d+)$/);
    if (m && method === 'PATCH') {
      const id = Number(m[1]);
      rules = rules.map((r) => (r.id === id ? { ...r, ...body } : r));
      return jsonResponse(rules.find((r) => r.id === id));
    }
    if (p === '/api/v1/alerts/channels' && method === 'GET') return jsonResponse(CHANNELS);
    if (p === '/api/v1/alerts/channels' && method === 'POST') {
      return jsonResponse({ id: 8, name: body.name, kind: body.kind, url: body.url, emails: [], enabled: true, secret: 'whsec_ONCE_ONLY', created_by: '', created_at: '', updated_at: '' }, 201);
    }
    if (p === '/api/v1/alerts/events') return jsonResponse({ results: [EVENT], next_cursor: null });
    return jsonResponse({ error: { status: 404, code: 'not_found', message: 'Not found' } }, 404);
  });
  vi.stubGlobal('fetch', fn);
  return calls;
}

const writes = (calls: Call[]) => calls.filter((c) => c.method !== 'GET');

beforeEach(() => setApiTenant(''));
afterEach(() => vi.unstubAllGlobals());

describe('AlertsPage', () => {
  it('lists rules with their state, firing first, with the last evaluation and mute', async () => {
    fakeApi();
    render(<AlertsPage canWrite canManage tenant="acme" refreshMs={0} />);
    const rows = await screen.findAllByTestId('rule-row');
    expect(rows.map((r) => within(r).getByTestId('rule-name-cell').textContent)).toEqual(['Bravo errors', 'Charlie back', 'Alpha quiet']);
    expect(rows.map((r) => within(r).getByTestId('rule-state').getAttribute('data-state'))).toEqual(['firing', 'resolved', 'ok']);
    expect(within(rows[0]).getByTestId('rule-state')).toHaveTextContent('Firing');
    expect(within(rows[1]).getByTestId('rule-state')).toHaveTextContent('Resolved');
    expect(within(rows[2]).getByTestId('rule-state')).toHaveTextContent('OK');
    expect(within(rows[0]).getByTestId('rule-last-evaluation')).toHaveTextContent('2026-11-29 12:00:00');
    expect(within(rows[0]).getByTestId('rule-last-evaluation')).toHaveTextContent('42 lines');
    expect(within(rows[0]).getByTestId('rule-condition')).toHaveTextContent('count > 10 in 5m');
    expect(within(rows[1]).getByTestId('muted-until')).toHaveTextContent('Muted until 2999-01-01 00:00');
    expect(screen.getByTestId('channel-row')).toHaveTextContent('ops hook');
  });

  it('mutes for an hour and unmutes', async () => {
    const calls = fakeApi();
    const user = userEvent.setup();
    render(<AlertsPage canWrite canManage tenant="acme" refreshMs={0} />);
    const quiet = (await screen.findAllByTestId('rule-row'))[2];
    await user.click(within(quiet).getByTestId('mute'));
    const before = Date.now();
    await user.click(within(quiet).getByTestId('mute-1h'));
    await waitFor(() => expect(writes(calls)).toHaveLength(1));
    const sent = writes(calls)[0];
    expect(sent.method).toBe('PATCH');
    expect(sent.path).toBe('/api/v1/alerts/rules/1');
    const until = Date.parse((sent.body as { muted_until: string }).muted_until);
    expect(until - before).toBeGreaterThanOrEqual(3_600_000 - 1000);
    expect(until - before).toBeLessThanOrEqual(3_600_000 + 60_000);
    await waitFor(() => expect(within(screen.getAllByTestId('rule-row')[2]).getByTestId('muted-until')).toBeInTheDocument());

    await user.click(within(screen.getAllByTestId('rule-row')[2]).getByTestId('unmute'));
    await waitFor(() => expect(writes(calls)).toHaveLength(2));
    expect(writes(calls)[1]).toEqual({ method: 'PATCH', path: '/api/v1/alerts/rules/1', body: { muted_until: null } });
    await waitFor(() => expect(within(screen.getAllByTestId('rule-row')[2]).queryByTestId('muted-until')).not.toBeInTheDocument());
  });

  it('gives viewers the rules read-only', async () => {
    const calls = fakeApi();
    render(<AlertsPage canWrite={false} canManage={false} tenant="acme" refreshMs={0} />);
    await screen.findAllByTestId('rule-row');
    expect(screen.getByTestId('read-only-note')).toBeInTheDocument();
    expect(screen.queryByTestId('new-rule')).not.toBeInTheDocument();
    expect(screen.queryByTestId('edit-rule')).not.toBeInTheDocument();
    expect(screen.queryByTestId('mute')).not.toBeInTheDocument();
    expect(screen.queryByTestId('unmute')).not.toBeInTheDocument();
    // the muted rule still says so
    expect(screen.getByTestId('muted-until')).toBeInTheDocument();
    expect(screen.queryByTestId('channel-form')).not.toBeInTheDocument();
    expect(screen.getAllByTestId('rule-history-toggle')).toHaveLength(3);
    expect(writes(calls)).toEqual([]);
  });

  it('says clearly when the API refuses a change, and keeps working', async () => {
    fakeApi({ forbidWrites: true });
    const user = userEvent.setup();
    render(<AlertsPage canWrite canManage={false} tenant="acme" refreshMs={0} />);
    const quiet = (await screen.findAllByTestId('rule-row'))[2];
    await user.click(within(quiet).getByTestId('mute'));
    await user.click(within(quiet).getByTestId('mute-4h'));
    const banner = await screen.findByTestId('alerts-action-error');
    expect(banner).toHaveTextContent('Not allowed: This needs a signed-in admin, member or owner of the tenant.');
    expect(screen.getAllByTestId('rule-row')).toHaveLength(3);
    expect(within(screen.getAllByTestId('rule-row')[2]).queryByTestId('muted-until')).not.toBeInTheDocument();
  });

  it('shows a rule\'s history with the window count, samples, deliveries and an explorer link', async () => {
    const calls = fakeApi();
    const user = userEvent.setup();
    render(<AlertsPage canWrite canManage tenant="acme" refreshMs={0} />);
    const firing = (await screen.findAllByTestId('rule-row'))[0];
    await user.click(within(firing).getByTestId('rule-history-toggle'));
    const event = await screen.findByTestId('alert-event');
    expect(calls.some((c) => c.path.startsWith('/api/v1/alerts/events?rule=2'))).toBe(true);
    expect(within(event).getByTestId('event-count')).toHaveTextContent('42 lines');
    expect(within(event).getByTestId('event-samples')).toHaveTextContent('payment provider timeout');
    expect(within(event).getByTestId('event-delivery')).toHaveTextContent('ops hook: sent');
    const link = new URL(within(event).getByTestId('event-explorer-link').getAttribute('href') ?? '', 'http://localhost');
    expect(link.pathname).toBe('/');
    expect(link.searchParams.get('q')).toBe('level:error');
    expect(link.searchParams.get('since')).toBe('2026-11-29T11:52:30Z');
    expect(link.searchParams.get('until')).toBe('2026-11-29T11:57:30Z');
    expect(link.searchParams.get('tenant')).toBe('acme');
  });

  it('adds a webhook channel and shows its secret once', async () => {
    const calls = fakeApi();
    const user = userEvent.setup();
    render(<AlertsPage canWrite canManage tenant="acme" refreshMs={0} />);
    await screen.findByTestId('channel-row');
    await user.type(screen.getByTestId('channel-name'), 'pager');
    await user.type(screen.getByTestId('channel-url'), 'https://pager.example/hook');
    await user.click(screen.getByTestId('create-channel'));
    expect(await screen.findByTestId('channel-secret-value')).toHaveTextContent('whsec_ONCE_ONLY');
    expect(writes(calls)).toEqual([{ method: 'POST', path: '/api/v1/alerts/channels', body: { name: 'pager', kind: 'webhook', url: 'https://pager.example/hook' } }]);
    expect(screen.getAllByTestId('channel-row')).toHaveLength(2);
    expect(within(screen.getByTestId('channels-table')).queryByText(/whsec_/)).not.toBeInTheDocument();
    await user.click(within(screen.getByTestId('channel-secret')).getByText('Done'));
    expect(screen.queryByText(/whsec_ONCE_ONLY/)).not.toBeInTheDocument();
  });
});

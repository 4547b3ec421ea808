import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DashboardView } from './DashboardView';
import { jsonResponse, makeEntry } from '../../test/fixtures';
import { FakeWebSocket, fakeSocketFactory } from '../../test/FakeWebSocket';
import { setApiTenant } from '../../api';
import type { TimeRange } from '../../timeRange';
import type { Dashboard, Widget } from '../../types';

const UID = '0b5c9a7e-1111-4222-8333-444455556666';
const base = { title: '', query: '', split_by: '', options: {} };
const WIDGETS: Widget[] = [
  { ...base, id: 1, kind: 'timeseries', title: 'Errors by level', query: 'level:>=warn', split_by: 'level', x: 0, y: 0, w: 6, h: 4 },
  { ...base, id: 2, kind: 'top_values', title: 'Top services', split_by: 'service', x: 6, y: 0, w: 6, h: 4 },
  { ...base, id: 3, kind: 'single_number', title: 'Checkout errors', query: 'level:error', x: 0, y: 4, w: 3, h: 2 },
  { ...base, id: 4, kind: 'log_list', title: 'Latest errors', query: 'level:error', options: { limit: 3 }, x: 3, y: 4, w: 9, h: 4 },
];
const DASHBOARD: Dashboard = {
  uid: UID,
  name: 'Checkout',
  description: '',
  time_range: { range: '6h' },
  widgets: WIDGETS,
  url: '',
  created_by: 'ada',
  created_at: '2026-11-29T00:00:00Z',
  updated_at: '2026-11-29T00:00:00Z',
};
const RANGE = { since: '2026-11-29T06:00:00Z', until: '2026-11-29T12:00:00Z' };
const DATA: Record<number, unknown> = {
  1: {
    kind: 'timeseries',
    ...RANGE,
    data: {
      interval: 3600,
      series: [
        { value: 'warn', buckets: [{ time: '2026-11-29T07:00:00Z', count: 5 }, { time: '2026-11-29T09:00:00Z', count: 2 }] },
        { value: 'error', buckets: [{ time: '2026-11-29T09:00:00Z', count: 3 }] },
      ],
      other: null,
    },
  },
  2: { kind: 'top_values', ...RANGE, data: { field: 'service', values: [{ value: 'billing', count: 30 }, { value: 'shop', count: 10 }], total: 40 } },
  3: { kind: 'single_number', ...RANGE, data: { value: 1234 } },
  4: {
    kind: 'log_list',
    ...RANGE,
    data: { entries: [makeEntry({ id: 'e2', message: 'card declined', level: 'error' }), makeEntry({ id: 'e1', message: 'db timeout', level: 'error' })], next_cursor: null },
  },
};

interface Call {
  method: string;
  url: URL;
  body: unknown;
}

function fakeApi() {
  const calls: Call[] = [];
  const fn = vi.fn<typeof fetch>(async (input, init) => {
    const url = new URL(String(input), 'http://localhost');
    const method = (init?.method ?? 'GET').toUpperCase();
    const body = init?.body ? JSON.parse(String(init.body)) : null;
    calls.push({ method, url, body });
    const p = url.pathname;
    if (p === '/api/v1/apps') return jsonResponse({ results: [] });
    if (p === `/api/v1/dashboards/${UID}` && method === 'GET') return jsonResponse(DASHBOARD);
    if (p === `/api/v1/dashboards/${UID}` && method === 'PATCH') return jsonResponse({ ...DASHBOARD, ...body });
    if (p === `/api/v1/dashboards/${UID}/layout`) {
      const moved = new Map((body.widgets as Widget[]).map((w) => [w.id, w]));
      return jsonResponse({ ...DASHBOARD, widgets: WIDGETS.map((w) => ({ ...w, ...moved.get(w.id) })) });
    }
    if (p === `/api/v1/dashboards/${UID}/widgets` && method === 'POST') return jsonResponse({ ...base, ...body, id: 5, x: 0, y: 8 }, 201);
    const m = p.match(/\/widgets\/(\d+)\/data$/);
    if (m) return jsonResponse(DATA[Number(m[1])] ?? DATA[3]);
    return jsonResponse({ error: { status: 404, code: 'not_found', message: 'Not found' } }, 404);
  });
  vi.stubGlobal('fetch', fn);
  return calls;
}

const dataCalls = (calls: Call[]) => calls.filter((c) => c.url.pathname.endsWith('/data'));
const spanMs = (c: Call) => Date.parse(c.url.searchParams.get('until') ?? '') - Date.parse(c.url.searchParams.get('since') ?? '');

function Harness({ initial, canWrite = true, onRange }: { initial: TimeRange; canWrite?: boolean; onRange?: (r: TimeRange, o?: { replace?: boolean }) => void }) {
  const [range, setRange] = useState<TimeRange>(initial);
  return (
    <DashboardView
      uid={UID}
      range={range}
      onRange={(r, o) => {
        onRange?.(r, o);
        setRange(r);
      }}
      onBack={() => {}}
      canWrite={canWrite}
      tenant="acme"
      createSocket={fakeSocketFactory}
    />
  );
}

beforeEach(() => {
  setApiTenant('');
  FakeWebSocket.reset();
  window.history.replaceState(null, '', `/?view=dashboard&dashboard=${UID}&range=6h`);
});
afterEach(() => vi.unstubAllGlobals());

describe('DashboardView', () => {
  it('draws every kind of widget from its data', async () => {
    const calls = fakeApi();
    render(<Harness initial={{ kind: 'relative', preset: '6h' }} />);
    expect(await screen.findByTestId('dashboard-name')).toHaveTextContent('Checkout');
    const widgets = await screen.findAllByTestId('widget');
    expect(widgets.map((w) => w.getAttribute('data-kind'))).toEqual(['timeseries', 'top_values', 'single_number', 'log_list']);

    const legend = await within(widgets[0]).findAllByTestId('series-legend-item');
    expect(legend.map((l) => [l.getAttribute('data-value'), l.getAttribute('data-total')])).toEqual([
      ['warn', '7'],
      ['error', '3'],
    ]);
    const top = await within(widgets[1]).findAllByTestId('top-value-row');
    expect(top.map((r) => r.textContent)).toEqual(['billing30 75%', 'shop10 25%']);
    expect(await within(widgets[2]).findByTestId('widget-number')).toHaveTextContent('1,234');
    const lines = await within(widgets[3]).findAllByTestId('widget-log-row');
    expect(lines.map((l) => l.querySelector('.log-message')?.textContent)).toEqual(['card declined', 'db timeout']);
    // placed on the 12-column grid as stored
    expect(widgets[3]).toHaveStyle({ gridColumn: '4 / span 9', gridRow: '5 / span 4' });
    // each widget asked for its own data, once
    expect(dataCalls(calls).map((c) => c.url.pathname).sort()).toEqual([1, 2, 3, 4].map((id) => `/api/v1/dashboards/${UID}/widgets/${id}/data`));
  });

  it('refetches every widget when the range changes', async () => {
    const calls = fakeApi();
    const user = userEvent.setup();
    render(<Harness initial={{ kind: 'relative', preset: '6h' }} />);
    await screen.findByTestId('widget-number');
    await waitFor(() => expect(dataCalls(calls)).toHaveLength(4));
    // one window for all widgets, resolved once: the same since/until everywhere
    expect(new Set(dataCalls(calls).map((c) => c.url.search)).size).toBe(1);
    expect(spanMs(dataCalls(calls)[0])).toBe(6 * 3_600_000);
    expect(Date.now() - Date.parse(dataCalls(calls)[0].url.searchParams.get('until') ?? '')).toBeLessThan(60_000);

    await user.click(screen.getByTestId('range-1h'));
    await waitFor(() => expect(dataCalls(calls)).toHaveLength(8));
    const later = dataCalls(calls).slice(4);
    expect(later.map((c) => c.url.pathname).sort()).toEqual([1, 2, 3, 4].map((id) => `/api/v1/dashboards/${UID}/widgets/${id}/data`));
    expect(new Set(later.map((c) => c.url.search)).size).toBe(1);
    expect(spanMs(later[0])).toBe(3_600_000);

    // Refresh asks again for the same span ending now
    await user.click(screen.getByTestId('dashboard-refresh'));
    await waitFor(() => expect(dataCalls(calls)).toHaveLength(12));
    expect(spanMs(dataCalls(calls)[11])).toBe(3_600_000);
    // and a writer may keep it as the dashboard's default
    await user.click(screen.getByTestId('save-range'));
    await waitFor(() => expect(calls.some((c) => c.method === 'PATCH')).toBe(true));
    expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({ time_range: { range: '1h' } });
  });

  it('asks for an absolute range with since and until', async () => {
    const calls = fakeApi();
    render(<Harness initial={{ kind: 'absolute', since: '2026-11-29T10:00:00.000Z', until: '2026-11-29T11:00:00.000Z' }} />);
    await screen.findByTestId('widget-number');
    await waitFor(() => expect(dataCalls(calls)).toHaveLength(4));
    const q = dataCalls(calls)[0].url.searchParams;
    expect([q.get('since'), q.get('until'), q.get('range')]).toEqual(['2026-11-29T10:00:00.000Z', '2026-11-29T11:00:00.000Z', null]);
  });

  it('opens a link without a range in the dashboard\'s own range, written into the URL', async () => {
    fakeApi();
    window.history.replaceState(null, '', `/?view=dashboard&dashboard=${UID}`);
    const onRange = vi.fn();
    render(<Harness initial={{ kind: 'relative', preset: '24h' }} onRange={onRange} />);
    await waitFor(() => expect(onRange).toHaveBeenCalledWith({ kind: 'relative', preset: '6h' }, { replace: true }));
  });

  it('saves the edited layout in one request', async () => {
    const calls = fakeApi();
    const user = userEvent.setup();
    render(<Harness initial={{ kind: 'relative', preset: '6h' }} />);
    await screen.findAllByTestId('widget');
    await user.click(screen.getByTestId('edit-layout'));
    let controls = await screen.findAllByTestId('widget-controls');
    // From the keyboard: the number (3rd) moves one column right, then the chart becomes full width and
    // pushes the table under it, and the log list under the table.
    await user.click(within(controls[2]).getByTestId('widget-right'));
    controls = screen.getAllByTestId('widget-controls');
    await user.selectOptions(within(controls[0]).getByTestId('widget-w'), '12');
    await user.click(screen.getByTestId('save-layout'));
    await waitFor(() => expect(calls.some((c) => c.method === 'PUT')).toBe(true));
    const put = calls.find((c) => c.method === 'PUT')!;
    expect(put.url.pathname).toBe(`/api/v1/dashboards/${UID}/layout`);
    expect(put.body).toEqual({
      widgets: [
        { id: 1, x: 0, y: 0, w: 12, h: 4 },
        { id: 3, x: 1, y: 4, w: 3, h: 2 },
        { id: 2, x: 6, y: 4, w: 6, h: 4 },
        { id: 4, x: 3, y: 8, w: 9, h: 4 },
      ],
    });
    await waitFor(() => expect(screen.queryByTestId('widget-controls')).not.toBeInTheDocument());
    expect(screen.getAllByTestId('widget').map((w) => w.getAttribute('data-widget-id'))).toEqual(['1', '3', '2', '4']);
  });

  it('adds a widget', async () => {
    const calls = fakeApi();
    const user = userEvent.setup();
    render(<Harness initial={{ kind: 'relative', preset: '6h' }} />);
    await screen.findAllByTestId('widget');
    await user.click(screen.getByTestId('add-widget'));
    await user.selectOptions(screen.getByTestId('widget-kind'), 'top_values');
    await user.click(screen.getByTestId('widget-save'));
    expect(screen.getByTestId('widget-error-split')).toHaveTextContent('needs the field to rank');
    await user.type(screen.getByTestId('widget-split'), 'host');
    await user.type(screen.getByTestId('widget-query'), 'level:error');
    await user.type(screen.getByTestId('widget-limit'), '5');
    await user.click(screen.getByTestId('widget-save'));
    await waitFor(() => expect(screen.getAllByTestId('widget')).toHaveLength(5));
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({
      title: '',
      kind: 'top_values',
      query: 'level:error',
      split_by: 'host',
      options: { limit: 5 },
      w: 6,
      h: 4,
    });
  });

  it('follows new lines in a log widget over the live tail', async () => {
    fakeApi();
    render(<Harness initial={{ kind: 'relative', preset: '6h' }} />);
    await screen.findAllByTestId('widget-log-row');
    const ws = FakeWebSocket.last();
    expect(ws.url).toMatch(/\/ws\/v1\/tail\?tenant=acme$/);
    act(() => ws.serverOpen());
    expect(ws.sentJson()).toContainEqual({ type: 'subscribe', q: 'level:error' });
    act(() => ws.serverSend({ type: 'entries', entries: [makeEntry({ id: 'e3', message: 'fresh one', level: 'error' }), makeEntry({ id: 'e4', message: 'fresher', level: 'error' })] }));
    const rows = screen.getAllByTestId('widget-log-row').map((l) => l.querySelector('.log-message')?.textContent);
    // newest first, capped at the widget's limit (3)
    expect(rows).toEqual(['fresher', 'fresh one', 'card declined']);
  });

  it('copies a link that reopens this dashboard in this range', async () => {
    fakeApi();
    const user = userEvent.setup();
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    render(<Harness initial={{ kind: 'relative', preset: '6h' }} />);
    await screen.findAllByTestId('widget');
    await user.click(screen.getByTestId('copy-link'));
    expect(writeText).toHaveBeenCalledWith(`${window.location.origin}/?view=dashboard&dashboard=${UID}&range=6h`);
    expect(await screen.findByText('Link copied')).toBeInTheDocument();
    Reflect.deleteProperty(navigator, 'clipboard');
  });

  it('shows viewers the dashboard without editing controls', async () => {
    fakeApi();
    render(<Harness initial={{ kind: 'relative', preset: '6h' }} canWrite={false} />);
    await screen.findAllByTestId('widget');
    expect(screen.queryByTestId('edit-layout')).not.toBeInTheDocument();
    expect(screen.queryByTestId('add-widget')).not.toBeInTheDocument();
    expect(screen.queryByTestId('dashboard-rename')).not.toBeInTheDocument();
    expect(screen.getByTestId('range-picker')).toBeInTheDocument();
  });
});

import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RuleForm } from './RuleForm';
import { jsonResponse } from '../../test/fixtures';
import { setApiTenant } from '../../api';
import type { AlertRule, Channel } from '../../types';

const CHANNELS: Channel[] = [
  { id: 4, name: 'ops mail', kind: 'email', url: '', emails: ['ops@example.com'], enabled: true, created_by: '', created_at: '', updated_at: '' },
  { id: 7, name: 'ops hook', kind: 'webhook', url: 'https://hooks.example/…', emails: [], enabled: true, created_by: '', created_at: '', updated_at: '' },
];

function fakeApi(answer: (body: Record<string, unknown>) => Response) {
  const posts: Array<{ path: string; body: Record<string, unknown> }> = [];
  vi.stubGlobal(
    'fetch',
    vi.fn<typeof fetch>(async (input, init) => {
      const url = new URL(String(input), 'http://localhost');
      const body = JSON.parse(String(init?.body ?? '{}'));
      posts.push({ path: url.pathname, body });
      return answer(body);
    }),
  );
  return posts;
}

beforeEach(() => setApiTenant(''));
afterEach(() => vi.unstubAllGlobals());

describe('RuleForm', () => {
  it('checks the form before sending anything', async () => {
    const posts = fakeApi(() => jsonResponse({}, 201));
    const user = userEvent.setup();
    const onSaved = vi.fn();
    render(<RuleForm rule={null} channels={CHANNELS} onSaved={onSaved} onCancel={() => {}} />);
    await user.clear(screen.getByTestId('rule-window'));
    await user.type(screen.getByTestId('rule-window'), '5');
    await user.selectOptions(screen.getByTestId('rule-window-unit'), 's');
    await user.click(screen.getByTestId('rule-kind-new_value'));
    await user.click(screen.getByTestId('rule-save'));
    expect(screen.getByTestId('rule-error-name')).toHaveTextContent('Give the rule a name.');
    expect(screen.getByTestId('rule-error-window')).toHaveTextContent('10 seconds to 7 days');
    expect(screen.getByTestId('rule-error-field')).toHaveTextContent('Choose the field');
    expect(posts).toEqual([]);
    expect(onSaved).not.toHaveBeenCalled();
  });

  it('sends the rule and hands back what the server saved', async () => {
    const posts = fakeApi((body) => jsonResponse({ ...body, id: 5, state: 'ok' }, 201));
    const user = userEvent.setup();
    const onSaved = vi.fn();
    render(<RuleForm rule={null} channels={CHANNELS} onSaved={onSaved} onCancel={() => {}} />);
    await user.type(screen.getByTestId('rule-name'), 'Checkout errors');
    await user.type(screen.getByTestId('rule-query'), 'level:error app:web');
    await user.selectOptions(screen.getByTestId('rule-comparison'), 'above');
    await user.clear(screen.getByTestId('rule-threshold'));
    await user.type(screen.getByTestId('rule-threshold'), '25');
    await user.clear(screen.getByTestId('rule-window'));
    await user.type(screen.getByTestId('rule-window'), '10');
    await user.clear(screen.getByTestId('rule-interval'));
    await user.type(screen.getByTestId('rule-interval'), '30');
    await user.selectOptions(screen.getByTestId('rule-interval-unit'), 's');
    await user.click(screen.getAllByTestId('rule-channel')[1]);
    await user.click(screen.getByTestId('rule-save'));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(posts).toEqual([
      {
        path: '/api/v1/alerts/rules',
        body: {
          name: 'Checkout errors',
          description: '',
          query: 'level:error app:web',
          kind: 'count',
          comparison: 'above',
          threshold: 25,
          window_seconds: 600,
          interval_seconds: 30,
          channels: [7],
          enabled: true,
        },
      },
    ]);
    expect(onSaved.mock.calls[0][0]).toMatchObject({ id: 5, name: 'Checkout errors' });
  });

  it('puts the server\'s complaint next to the field it names', async () => {
    fakeApi(() => jsonResponse({ error: { status: 409, code: 'name_taken', message: 'This tenant already has an alert rule with that name.', field: 'name' } }, 409));
    const user = userEvent.setup();
    const onSaved = vi.fn();
    render(<RuleForm rule={null} channels={[]} onSaved={onSaved} onCancel={() => {}} />);
    await user.type(screen.getByTestId('rule-name'), 'Taken');
    await user.click(screen.getByTestId('rule-kind-absence'));
    await user.click(screen.getByTestId('rule-save'));
    expect(await screen.findByTestId('rule-error-name')).toHaveTextContent('already has an alert rule with that name');
    expect(onSaved).not.toHaveBeenCalled();
  });

  it('edits an existing rule with PATCH and previews the window', async () => {
    const posts = fakeApi((body) =>
      'name' in body
        ? jsonResponse({ ...body, id: 3 })
        : jsonResponse({ since: '2026-11-29T11:00:00Z', until: '2026-11-29T12:00:00Z', count: 4, would_fire: false, values: [], samples: [], url: '' }),
    );
    const user = userEvent.setup();
    const onSaved = vi.fn();
    const existing = {
      id: 3, name: 'Quiet app', description: 'heartbeat', query: 'app:cron', kind: 'absence', comparison: 'above', threshold: 0, field: '',
      window_seconds: 3600, interval_seconds: 300, channels: [4], enabled: true, muted_until: null, condition: 'no matching lines', state: 'ok',
      state_changed_at: null, last_evaluated_at: null, last_count: null, last_error: '', next_evaluation_at: null, created_by: '', created_at: '', updated_at: '',
    } satisfies AlertRule;
    render(<RuleForm rule={existing} channels={CHANNELS} onSaved={onSaved} onCancel={() => {}} />);
    expect(screen.getByTestId('rule-window')).toHaveValue(1);
    expect(screen.getByTestId('rule-window-unit')).toHaveValue('h');
    await user.click(screen.getByTestId('rule-preview-button'));
    expect(await screen.findByTestId('rule-preview')).toHaveTextContent('4 matching lines — the rule would not fire.');
    expect(posts[0]).toEqual({ path: '/api/v1/alerts/preview', body: { query: 'app:cron', kind: 'absence', window_seconds: 3600 } });
    await user.click(screen.getByTestId('rule-save'));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(posts[1].path).toBe('/api/v1/alerts/rules/3');
    expect(posts[1].body).toMatchObject({ name: 'Quiet app', kind: 'absence', window_seconds: 3600, interval_seconds: 300, channels: [4] });
  });
});

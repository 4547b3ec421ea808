import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { LogDetails } from './LogDetails';
import { LogRow } from './LogRow';
import { makeEntry } from '../test/fixtures';

describe('LogRow', () => {
  const entry = makeEntry({
    time: '2026-11-29T23:40:01.123456Z',
    level: 'error',
    app: 'web',
    service: 'api',
    host: 'web-1',
    trace_id: 'abc123',
    message: 'upstream timeout after 30s',
    attributes: { user_id: 42, path: '/checkout' },
  });

  it('shows local time with milliseconds, level badge, app, service and message', () => {
    render(<LogRow entry={entry} />);
    const row = screen.getByTestId('log-row');
    // setup.ts pins TZ=UTC
    expect(within(row).getByTestId('log-time')).toHaveTextContent('2026-11-29 23:40:01.123');
    const badge = within(row).getByTestId('level-badge');
    expect(badge).toHaveTextContent('error');
    expect(badge).toHaveClass('level-error');
    expect(within(row).getByTestId('log-app')).toHaveTextContent('web');
    expect(within(row).getByTestId('log-service')).toHaveTextContent('api');
    expect(within(row).getByTestId('log-message')).toHaveTextContent('upstream timeout after 30s');
    expect(screen.queryByTestId('log-details')).not.toBeInTheDocument();
  });

  it('expands on click to show every field and pretty-printed attributes, and collapses again', async () => {
    const user = userEvent.setup();
    render(<LogRow entry={entry} />);
    const summary = screen.getByRole('button', { expanded: false });
    await user.click(summary);

    const details = screen.getByTestId('log-details');
    expect(summary).toHaveAttribute('aria-expanded', 'true');
    expect(within(details).getByText(entry.id)).toBeInTheDocument();
    expect(within(details).getByText('web-1')).toBeInTheDocument();
    expect(within(details).getByText('abc123')).toBeInTheDocument();
    const attrs = within(details).getByTestId('log-attributes');
    expect(attrs.textContent).toBe(JSON.stringify({ user_id: 42, path: '/checkout' }, null, 2));
    expect(attrs.textContent).toContain('\n  "user_id": 42');

    await user.click(summary);
    expect(screen.queryByTestId('log-details')).not.toBeInTheDocument();
  });

  it('renders an unknown level with a neutral badge', () => {
    render(<LogRow entry={makeEntry({ level: 'notice' })} />);
    expect(screen.getByTestId('level-badge')).toHaveClass('level-unknown');
  });

  it('shows context lines around the entry on request', async () => {
    const user = userEvent.setup();
    const before = makeEntry({ message: 'before-1' });
    const after = makeEntry({ message: 'after-1' });
    const fetchContext = vi.fn().mockResolvedValue({ entry, before: [before], after: [after] });
    render(<LogDetails entry={entry} fetchContext={fetchContext} />);
    await user.click(screen.getByTestId('show-context'));
    expect(fetchContext).toHaveBeenCalledWith(entry.id);
    const lines = await screen.findAllByTestId('context-line');
    expect(lines.map((l) => l.dataset.id)).toEqual([before.id, entry.id, after.id]);
    expect(lines[1]).toHaveClass('current');
  });
});

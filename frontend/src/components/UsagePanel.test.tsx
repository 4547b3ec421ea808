import { render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsagePanel } from './UsagePanel';
import { jsonResponse } from '../test/fixtures';
import { setApiTenant } from '../api';

function answer(body: unknown, status = 200) {
  vi.stubGlobal('fetch', vi.fn<typeof fetch>(async () => jsonResponse(body, status)));
}

beforeEach(() => setApiTenant(''));
afterEach(() => vi.unstubAllGlobals());

describe('UsagePanel', () => {
  it('shows today\'s lines and bytes against the limits', async () => {
    answer({
      tenant: 'acme',
      day: '2026-11-29',
      lines: 120500,
      bytes: 3 * 1024 * 1024,
      limits: { lines_per_second: 500, bytes_per_day: 10 * 1024 * 1024 },
      bytes_remaining: 7 * 1024 * 1024,
      available: true,
    });
    render(<UsagePanel />);
    expect(await screen.findByTestId('usage-lines')).toHaveTextContent('120,500');
    expect(screen.getByTestId('usage-bytes')).toHaveTextContent('3.0 MiB');
    expect(screen.getByTestId('usage-limit')).toHaveTextContent('10.0 MiB');
    expect(screen.getByTestId('usage-remaining')).toHaveTextContent('7.0 MiB');
    expect(screen.getByTestId('usage-rate')).toHaveTextContent('500 lines/s');
    expect(screen.getByTestId('usage-meter')).toHaveAttribute('value', String(3 * 1024 * 1024));
    expect(screen.getByTestId('usage')).toHaveTextContent('2026-11-29, UTC');
  });

  it('says "unknown" when the server cannot tell, and "no limit" where there is none', async () => {
    answer({ tenant: 'acme', day: null, lines: null, bytes: null, limits: { lines_per_second: null, bytes_per_day: 1000 }, bytes_remaining: null, available: false });
    render(<UsagePanel />);
    expect(await screen.findByTestId('usage-lines')).toHaveTextContent('unknown');
    expect(screen.getByTestId('usage-bytes')).toHaveTextContent('unknown');
    expect(screen.getByTestId('usage-remaining')).toHaveTextContent('unknown');
    expect(screen.getByTestId('usage-limit')).toHaveTextContent('1000 B');
    expect(screen.getByTestId('usage-rate')).toHaveTextContent('no limit');
    expect(screen.queryByTestId('usage-meter')).not.toBeInTheDocument();
  });

  it('shows the API\'s error', async () => {
    answer({ error: { status: 403, code: 'permission_denied', message: "This API key lacks the 'read' scope." } }, 403);
    render(<UsagePanel />);
    expect(await screen.findByTestId('usage-error')).toHaveTextContent("lacks the 'read' scope");
  });
});

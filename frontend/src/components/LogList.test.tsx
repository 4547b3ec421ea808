import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { LogList } from './LogList';
import { makeEntry } from '../test/fixtures';

describe('LogList', () => {
  it('shows the empty state with the curl hint when there are no entries', () => {
    render(<LogList entries={[]} nextCursor={null} onLoadOlder={() => {}} />);
    const empty = screen.getByTestId('empty-state');
    expect(empty).toHaveTextContent('No logs yet');
    const hint = screen.getByTestId('ingest-hint').textContent ?? '';
    expect(hint).toContain('curl -X POST');
    expect(hint).toContain('/api/v1/logs');
    expect(hint).toContain('Authorization: Bearer <your key>');
    expect(hint).toContain(`-d '{"message":"hello"}'`);
    expect(screen.queryByTestId('log-row')).not.toBeInTheDocument();
    expect(screen.queryByTestId('load-older')).not.toBeInTheDocument();
  });

  it('says nothing matched when filters are set', () => {
    render(<LogList entries={[]} nextCursor={null} filtered onLoadOlder={() => {}} />);
    expect(screen.getByTestId('empty-state')).toHaveTextContent('No logs match these filters');
  });

  it('shows loading and error states instead of the empty state', () => {
    const { rerender } = render(<LogList entries={[]} nextCursor={null} loading onLoadOlder={() => {}} />);
    expect(screen.getByTestId('loading')).toBeInTheDocument();
    expect(screen.queryByTestId('empty-state')).not.toBeInTheDocument();

    rerender(<LogList entries={[]} nextCursor={null} error="Unknown level: loud" onLoadOlder={() => {}} />);
    expect(screen.getByTestId('error')).toHaveTextContent('Unknown level: loud');
    expect(screen.queryByTestId('empty-state')).not.toBeInTheDocument();
  });

  it('renders one row per entry and no "Load older" without a cursor', () => {
    const entries = [makeEntry(), makeEntry(), makeEntry()];
    render(<LogList entries={entries} nextCursor={null} onLoadOlder={() => {}} />);
    expect(screen.getAllByTestId('log-row')).toHaveLength(3);
    expect(screen.queryByTestId('empty-state')).not.toBeInTheDocument();
    expect(screen.queryByTestId('load-older')).not.toBeInTheDocument();
  });

  it('loads older rows by itself near the end, and keeps a "Load older" button', async () => {
    const user = userEvent.setup();
    const onLoadOlder = vi.fn();
    render(<LogList entries={[makeEntry()]} nextCursor="cur-2" onLoadOlder={onLoadOlder} />);
    expect(onLoadOlder).toHaveBeenCalled();
    const calls = onLoadOlder.mock.calls.length;
    await user.click(screen.getByTestId('load-older'));
    expect(onLoadOlder).toHaveBeenCalledTimes(calls + 1);
    expect(screen.queryByTestId('end-of-results')).not.toBeInTheDocument();
  });

  it('does not load by itself while a page is loading, says so, and marks the end', () => {
    const onLoadOlder = vi.fn();
    const { rerender } = render(<LogList entries={[makeEntry()]} nextCursor="cur-2" loadingOlder onLoadOlder={onLoadOlder} />);
    expect(onLoadOlder).not.toHaveBeenCalled();
    expect(screen.getByTestId('loading-older')).toHaveTextContent('Loading older…');
    rerender(<LogList entries={[makeEntry(), makeEntry()]} nextCursor={null} onLoadOlder={onLoadOlder} />);
    expect(screen.getByTestId('end-of-results')).toHaveTextContent('End of results: 2 entries.');
  });

  it('marks the query\'s words in messages', () => {
    render(
      <LogList entries={[makeEntry({ message: 'Upstream TIMEOUT after 30s' })]} nextCursor={null} highlight={/timeout/gi} onLoadOlder={() => {}} />,
    );
    expect(screen.getByTestId('log-message').querySelector('mark')).toHaveTextContent('TIMEOUT');
  });

  it('virtualises: 100,000 entries render only a window of rows, and expansion survives', async () => {
    const user = userEvent.setup();
    const entries = Array.from({ length: 100_000 }, (_, i) => makeEntry({ message: `row ${i}` }));
    render(<LogList entries={entries} nextCursor={null} onLoadOlder={() => {}} />);
    const rows = screen.getAllByTestId('log-row');
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.length).toBeLessThan(100);
    expect(rows[0]).toHaveAttribute('data-id', entries[0].id);
    await user.click(rows[1].querySelector('button')!);
    expect(screen.getByTestId('log-details')).toBeInTheDocument();
  });
});

describe('LogList keyboard', () => {
  const entries = Array.from({ length: 50 }, (_, i) => makeEntry({ message: `row ${i}` }));
  const focusedIndex = () => document.activeElement?.closest('li')?.getAttribute('data-index');

  it('is one tab stop; arrows, j/k, Home and End move it; Enter opens the row', async () => {
    const user = userEvent.setup();
    render(<LogList entries={entries} nextCursor={null} onLoadOlder={() => {}} />);
    const stops = () => screen.getAllByTestId('log-row').filter((r) => r.querySelector('button')?.tabIndex === 0);
    expect(stops()).toHaveLength(1);
    await user.tab();
    expect(focusedIndex()).toBe('0');
    await user.keyboard('{ArrowDown}');
    expect(focusedIndex()).toBe('1');
    await user.keyboard('jj');
    expect(focusedIndex()).toBe('3');
    await user.keyboard('k{ArrowUp}');
    expect(focusedIndex()).toBe('1');
    expect(stops()).toHaveLength(1);
    await user.keyboard('{Enter}');
    expect(screen.getByTestId('log-details')).toBeInTheDocument();
    await user.keyboard('{End}');
    expect(focusedIndex()).toBe('49');
    await user.keyboard('{Home}');
    expect(focusedIndex()).toBe('0');
  });
});

import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { LogDetails } from './LogDetails';
import { flattenAttributes } from './FilterButtons';
import { makeEntry } from '../test/fixtures';

describe('flattenAttributes', () => {
  it('names nested keys with dots, keeps scalars, leaves out arrays and unnameable keys', () => {
    expect(
      flattenAttributes({ order: 'A-17', http: { status: 504, ok: false }, tags: ['a'], gone: null, 'a b': 1 }),
    ).toEqual([
      ['attributes.order', 'A-17'],
      ['attributes.http.status', '504'],
      ['attributes.http.ok', 'false'],
      ['attributes.gone', 'null'],
    ]);
    expect(flattenAttributes(undefined)).toEqual([]);
  });
});

describe('LogDetails filters', () => {
  const entry = makeEntry({ service: 'billing', host: 'web-2', attributes: { order: 'A-17', http: { status: 504 } } });

  it('+ and − on fields and attributes call onFilter with the field path and value', async () => {
    const user = userEvent.setup();
    const onFilter = vi.fn();
    render(<LogDetails entry={entry} onFilter={onFilter} />);
    const service = screen.getAllByTestId('filter-in').find((b) => b.dataset.field === 'service')!;
    await user.click(service);
    expect(onFilter).toHaveBeenLastCalledWith('service', 'billing', false);
    const status = within(screen.getByTestId('attribute-fields'))
      .getAllByTestId('filter-out')
      .find((b) => b.dataset.field === 'attributes.http.status')!;
    expect(status).toHaveAccessibleName('Filter out attributes.http.status: 504');
    await user.click(status);
    expect(onFilter).toHaveBeenLastCalledWith('attributes.http.status', '504', true);
    // ids and times are not query fields
    expect(screen.getAllByTestId('filter-in').map((b) => b.dataset.field)).not.toContain('id');
  });

  it('has no filter buttons without onFilter', () => {
    render(<LogDetails entry={entry} />);
    expect(screen.queryByTestId('filter-in')).not.toBeInTheDocument();
  });

  it('marks the query matches in the full message', () => {
    render(<LogDetails entry={makeEntry({ message: 'card declined\nretry' })} highlight={/declined/gi} />);
    expect(screen.getByTestId('log-message-full').querySelector('mark')).toHaveTextContent('declined');
    expect(screen.getByTestId('log-message-full').textContent).toBe('card declined\nretry');
  });
});

describe('LogDetails context', () => {
  it('names each line\'s service, and its app and host when they differ from the centre line', async () => {
    const user = userEvent.setup();
    const centre = makeEntry({ service: 'api', app: 'web', host: 'web-1', message: 'centre' });
    const other = makeEntry({ service: 'worker', app: 'jobs', host: 'batch-9', message: 'job failed:\n  step 2' });
    const same = makeEntry({ service: 'api', app: 'web', host: 'web-1', message: 'same source' });
    const fetchContext = vi.fn().mockResolvedValue({ entry: centre, before: [other], after: [same] });
    render(<LogDetails entry={centre} fetchContext={fetchContext} />);
    await user.click(screen.getByTestId('show-context'));
    const [first, middle, last] = await screen.findAllByTestId('context-line');
    expect(within(first).getByTestId('context-service')).toHaveTextContent('worker');
    expect(first).toHaveTextContent('jobs');
    expect(first).toHaveTextContent('batch-9');
    expect(first.querySelector('.context-message')?.textContent).toBe('job failed:\n  step 2');
    expect(within(middle).getByTestId('context-service')).toHaveTextContent('api');
    expect(last).not.toHaveTextContent('web-1');
  });
});

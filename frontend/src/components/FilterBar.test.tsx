import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { FilterBar } from './FilterBar';
import { EMPTY_FILTERS } from '../types';

const apps = [
  { slug: 'web', name: 'Web' },
  { slug: 'worker', name: 'Worker' },
];

describe('FilterBar', () => {
  it('offers any level plus the six levels and the apps', () => {
    render(<FilterBar value={EMPTY_FILTERS} apps={apps} onSearch={() => {}} />);
    const levels = Array.from((screen.getByTestId('filter-level') as HTMLSelectElement).options).map((o) => o.value);
    expect(levels).toEqual(['', 'trace', 'debug', 'info', 'warn', 'error', 'fatal']);
    const appOptions = Array.from((screen.getByTestId('filter-app') as HTMLSelectElement).options).map((o) => o.value);
    expect(appOptions).toEqual(['', 'web', 'worker']);
  });

  it('calls onSearch with the entered values when Enter is pressed in the text input', async () => {
    const user = userEvent.setup();
    const onSearch = vi.fn();
    render(<FilterBar value={EMPTY_FILTERS} apps={apps} onSearch={onSearch} />);

    await user.selectOptions(screen.getByTestId('filter-level'), 'warn');
    await user.selectOptions(screen.getByTestId('filter-app'), 'worker');
    expect(onSearch).not.toHaveBeenCalled();
    await user.type(screen.getByTestId('filter-text'), 'timeout{Enter}');

    expect(onSearch).toHaveBeenCalledTimes(1);
    expect(onSearch).toHaveBeenCalledWith({ q: 'timeout', level: 'warn', app: 'worker' });
  });

  it('calls onSearch with the entered values on Search click, trimming the text', async () => {
    const user = userEvent.setup();
    const onSearch = vi.fn();
    render(<FilterBar value={EMPTY_FILTERS} apps={apps} onSearch={onSearch} />);

    await user.type(screen.getByTestId('filter-text'), '  db error ');
    await user.selectOptions(screen.getByTestId('filter-level'), 'error');
    await user.click(screen.getByTestId('search-button'));

    expect(onSearch).toHaveBeenCalledTimes(1);
    expect(onSearch).toHaveBeenCalledWith({ q: 'db error', level: 'error', app: '' });
  });

  it('starts from the applied filters', () => {
    render(<FilterBar value={{ q: 'boom', level: 'fatal', app: 'web' }} apps={apps} onSearch={() => {}} />);
    expect(screen.getByTestId('filter-text')).toHaveValue('boom');
    expect(screen.getByTestId('filter-level')).toHaveValue('fatal');
    expect(screen.getByTestId('filter-app')).toHaveValue('web');
  });
});

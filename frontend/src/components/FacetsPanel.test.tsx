import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { FacetsPanel } from './FacetsPanel';

const facets = {
  level: [{ value: 'error', count: 12 }, { value: 'warn', count: 3 }],
  app: [{ value: 'web', count: 15 }],
  service: [],
  host: [{ value: 'web-1', count: 1200 }],
};

describe('FacetsPanel', () => {
  it('lists the top values with counts', () => {
    render(<FacetsPanel facets={facets} onPick={() => {}} fields={['level', 'app', 'service', 'host']} />);
    const values = screen.getAllByTestId('facet-value');
    expect(values.map((v) => v.dataset.value)).toEqual(['error', 'warn', 'web', 'web-1']);
    expect(values[3]).toHaveTextContent('1,200');
  });

  it('click picks field:value, alt-click picks the negation', () => {
    const onPick = vi.fn();
    render(<FacetsPanel facets={facets} onPick={onPick} />);
    const [error] = screen.getAllByTestId('facet-value');
    fireEvent.click(error);
    expect(onPick).toHaveBeenLastCalledWith('level', 'error', false);
    fireEvent.click(screen.getAllByTestId('facet-value')[2], { altKey: true });
    expect(onPick).toHaveBeenLastCalledWith('app', 'web', true);
  });
});

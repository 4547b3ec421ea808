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

describe('FacetsPanel multi-select and attribute facets', () => {
  it('checked values of one field are picked together, included or excluded', () => {
    const onPickMany = vi.fn();
    render(<FacetsPanel facets={facets} onPick={() => {}} onPickMany={onPickMany} />);
    const check = (v: string) => fireEvent.click(screen.getAllByTestId('facet-check').find((c) => c.dataset.value === v)!);
    check('error');
    check('warn');
    fireEvent.click(screen.getByTestId('facet-include'));
    expect(onPickMany).toHaveBeenLastCalledWith('level', ['error', 'warn'], false);
    expect(screen.queryByTestId('facet-include')).toBeNull(); // the selection is used up
    check('web');
    fireEvent.click(screen.getByTestId('facet-exclude'));
    expect(onPickMany).toHaveBeenLastCalledWith('app', ['web'], true);
  });

  it('offers attribute keys not shown yet and removes an attribute facet', () => {
    const onAddField = vi.fn();
    const onRemoveField = vi.fn();
    render(
      <FacetsPanel
        facets={{ ...facets, 'attributes.region': [{ value: 'eu', count: 4 }] }}
        fields={['level', 'attributes.region']}
        onPick={() => {}}
        attributeKeys={['user_id', 'region']}
        onAddField={onAddField}
        onRemoveField={onRemoveField}
      />,
    );
    const select = screen.getByTestId('facet-add') as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual(['', 'attributes.user_id']);
    fireEvent.change(select, { target: { value: 'attributes.user_id' } });
    expect(onAddField).toHaveBeenCalledWith('attributes.user_id');
    fireEvent.click(screen.getByRole('button', { name: 'Remove the attributes.region facet' }));
    expect(onRemoveField).toHaveBeenCalledWith('attributes.region');
  });
});

import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { FilterPills } from './FilterPills';

function Harness({ initial }: { initial: string }) {
  const [q, setQ] = useState(initial);
  return (
    <>
      <output data-testid="q">{q}</output>
      <FilterPills query={q} onChange={setQ} />
    </>
  );
}

const pills = () => screen.queryAllByTestId('filter-pill').map((p) => `${p.dataset.term}/${p.dataset.state}`);

describe('FilterPills', () => {
  it('shows nothing for a query without field:value terms', () => {
    render(<Harness initial="timeout (a OR b)" />);
    expect(screen.queryByTestId('filter-pills')).not.toBeInTheDocument();
  });

  it('turns a term off and on, inverts and removes it, leaving the rest of the query alone', async () => {
    const user = userEvent.setup();
    render(<Harness initial='level:error timeout -host:"web 1"' />);
    expect(pills()).toEqual(['level:error/on', '-host:"web 1"/on']);
    expect(screen.getByRole('list', { name: 'Active filters' })).toBeInTheDocument();

    await user.click(screen.getAllByTestId('pill-toggle')[0]);
    expect(screen.getByTestId('q')).toHaveTextContent('timeout -host:"web 1"');
    expect(pills()).toEqual(['-host:"web 1"/on', 'level:error/off']);

    await user.click(screen.getByRole('button', { name: 'Invert -host:"web 1"' }));
    expect(screen.getByTestId('q')).toHaveTextContent('timeout host:"web 1"');

    await user.click(screen.getByRole('button', { name: 'Invert level:error' }));
    expect(pills()).toEqual(['host:"web 1"/on', '-level:error/off']);
    await user.click(screen.getAllByTestId('pill-toggle')[1]);
    expect(screen.getByTestId('q')).toHaveTextContent('timeout host:"web 1" -level:error');

    await user.click(screen.getByRole('button', { name: 'Remove host:"web 1"' }));
    expect(screen.getByTestId('q')).toHaveTextContent('timeout -level:error');
    expect(pills()).toEqual(['-level:error/on']);
  });

  it('drops a turned-off pill when removed', async () => {
    const user = userEvent.setup();
    render(<Harness initial="service:a" />);
    await user.click(screen.getByTestId('pill-toggle'));
    expect(pills()).toEqual(['service:a/off']);
    await user.click(screen.getByRole('button', { name: 'Remove service:a' }));
    expect(screen.queryByTestId('filter-pills')).not.toBeInTheDocument();
  });
});

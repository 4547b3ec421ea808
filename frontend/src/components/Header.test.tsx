import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { Header } from './Header';
import type { Me } from '../types';

const me = (role: string): Me => ({
  user: { username: 'ada' },
  tenant: { slug: 'acme', name: 'Acme', role },
  tenants: [{ slug: 'acme', name: 'Acme', role }],
});

describe('Header', () => {
  it('names its views as navigation, marks the current one and heads the page with it', async () => {
    const onView = vi.fn();
    const { rerender } = render(<Header me={me('owner')} view="dashboards" onView={onView} />);
    const nav = screen.getByRole('navigation', { name: 'Views' });
    expect(within(nav).getAllByRole('button').map((b) => b.textContent)).toEqual(['Logs', 'Dashboards', 'Alerts', 'Apps & keys']);
    expect(within(nav).getByRole('button', { current: 'page' })).toHaveTextContent('Dashboards');
    expect(screen.getAllByRole('heading', { level: 1 })).toHaveLength(1);
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Dashboards');
    expect(document.title).toBe('Dashboards · devlogs');
    await userEvent.setup().click(within(nav).getByRole('button', { name: 'Alerts' }));
    expect(onView).toHaveBeenCalledWith('alerts');
    rerender(<Header me={me('owner')} view="keys" onView={onView} />);
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Apps and keys');
    expect(within(nav).getByRole('button', { current: 'page' })).toHaveTextContent('Apps & keys');
  });

  it('shows Apps & keys only to those who manage them', () => {
    render(<Header me={me('member')} view="logs" onView={() => {}} />);
    expect(screen.queryByTestId('tab-keys')).not.toBeInTheDocument();
    expect(screen.getByTestId('tab-logs')).toHaveAttribute('aria-current', 'page');
  });
});

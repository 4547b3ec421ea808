import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { THEME_KEY, readTheme, useTheme } from './theme';
import { Header } from './components/Header';

function Themed() {
  const [theme, setTheme] = useTheme();
  return <Header me={null} theme={theme} onTheme={setTheme} />;
}

beforeEach(() => {
  window.localStorage.clear();
  delete document.documentElement.dataset.theme;
});

describe('theme', () => {
  it('defaults to dark and reads a stored light theme', () => {
    expect(readTheme()).toBe('dark');
    window.localStorage.setItem(THEME_KEY, 'light');
    expect(readTheme()).toBe('light');
    window.localStorage.setItem(THEME_KEY, 'bogus');
    expect(readTheme()).toBe('dark');
    expect(readTheme(null)).toBe('dark');
  });

  it('the toggle switches <html data-theme> and the choice survives a reload', async () => {
    const user = userEvent.setup();
    const first = render(<Themed />);
    expect(document.documentElement.dataset.theme).toBe('dark');
    const toggle = screen.getByTestId('theme-toggle');
    expect(toggle).toHaveAccessibleName('Switch to light theme');
    await user.click(toggle);
    expect(document.documentElement.dataset.theme).toBe('light');
    expect(window.localStorage.getItem(THEME_KEY)).toBe('light');
    expect(screen.getByTestId('theme-toggle')).toHaveAccessibleName('Switch to dark theme');
    first.unmount();

    // "reload": a fresh mount starts from the stored choice
    delete document.documentElement.dataset.theme;
    render(<Themed />);
    expect(document.documentElement.dataset.theme).toBe('light');
    expect(screen.getByTestId('theme-toggle')).toHaveTextContent('Dark');
    await act(async () => {
      await user.click(screen.getByTestId('theme-toggle'));
    });
    expect(window.localStorage.getItem(THEME_KEY)).toBe('dark');
  });
});

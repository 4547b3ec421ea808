import { useEffect, useState } from 'react';

export type Theme = 'dark' | 'light';
export const THEME_KEY = 'devlogs.theme';

export function readTheme(storage: Pick<Storage, 'getItem'> | null = safeStorage()): Theme {
  return storage?.getItem(THEME_KEY) === 'light' ? 'light' : 'dark';
}

function safeStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** Dark/light theme on <html data-theme>, remembered in localStorage. */
export function useTheme(): [Theme, (t: Theme) => void] {
  const [theme, setTheme] = useState<Theme>(() => readTheme());
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    try {
      safeStorage()?.setItem(THEME_KEY, theme);
    } catch {
      /* storage full or blocked */
    }
  }, [theme]);
  return [theme, setTheme];
}

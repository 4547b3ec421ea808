/** What the uPlot charts share: whether a canvas can be drawn, the theme's colours, redraw on theme change. */
import { useEffect, useState } from 'react';

/** uPlot needs a real canvas (not jsdom). */
export function canDrawCanvas(): boolean {
  return typeof window !== 'undefined' && typeof window.matchMedia === 'function' && typeof ResizeObserver !== 'undefined';
}

export function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** Bumps when <html data-theme> changes, so the canvas picks up the theme's colours. */
export function useThemeVersion(): number {
  const [n, setN] = useState(0);
  useEffect(() => {
    if (typeof MutationObserver === 'undefined') return;
    const mo = new MutationObserver(() => setN((x) => x + 1));
    mo.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => mo.disconnect();
  }, []);
  return n;
}

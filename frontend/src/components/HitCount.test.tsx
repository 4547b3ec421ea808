import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { HitCount, hitCountText } from './HitCount';

describe('HitCount', () => {
  it('says the exact count, or "more than" the bound', () => {
    expect(hitCountText({ count: 1234, exact: true, bound: 10000 })).toBe('1,234 lines');
    expect(hitCountText({ count: 1, exact: true, bound: 10000 })).toBe('1 line');
    expect(hitCountText({ count: 10000, exact: false, bound: 10000 })).toBe('more than 10,000 lines');
  });

  it('renders the count once it is known', () => {
    const { rerender } = render(<HitCount data={null} loading />);
    expect(screen.queryByTestId('hit-count')).toBeNull();
    rerender(<HitCount data={{ count: 0, exact: true, bound: 10000 }} />);
    expect(screen.getByTestId('hit-count')).toHaveTextContent('0 lines');
  });
});

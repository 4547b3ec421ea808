import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { QueryBar } from './QueryBar';

describe('QueryBar', () => {
  it('runs the trimmed query on Enter and on Search', async () => {
    const user = userEvent.setup();
    const onSearch = vi.fn();
    render(<QueryBar value="" onSearch={onSearch} />);
    await user.type(screen.getByTestId('filter-text'), '  level:>=warn host:web-* {Enter}');
    expect(onSearch).toHaveBeenCalledWith('level:>=warn host:web-*');
    await user.click(screen.getByTestId('search-button'));
    expect(onSearch).toHaveBeenCalledTimes(2);
  });

  it('focuses the input when / is pressed outside an input, without typing the slash', async () => {
    const user = userEvent.setup();
    render(
      <>
        <button type="button">elsewhere</button>
        <QueryBar value="timeout" onSearch={() => {}} />
      </>,
    );
    await user.click(screen.getByText('elsewhere'));
    expect(screen.getByTestId('filter-text')).not.toHaveFocus();
    await user.keyboard('/');
    expect(screen.getByTestId('filter-text')).toHaveFocus();
    expect(screen.getByTestId('filter-text')).toHaveValue('timeout');
    // inside the input, / is just a character
    await user.keyboard('{End}/x');
    expect(screen.getByTestId('filter-text')).toHaveValue('timeout/x');
  });

  it('shows the server message, position, expected and a caret under the query', () => {
    render(
      <QueryBar
        value="level:>"
        onSearch={() => {}}
        error={{ message: 'unexpected end of query', position: 7, expected: 'a level' }}
      />,
    );
    const err = screen.getByTestId('query-error');
    expect(err).toHaveTextContent('unexpected end of query');
    expect(err).toHaveAttribute('data-position', '7');
    expect(screen.getByTestId('query-error-position')).toHaveTextContent('at character 7');
    expect(err).toHaveTextContent('expected a level');
    expect(err.querySelector('pre')?.textContent).toBe('level:>\n       ^');
    expect(screen.getByTestId('filter-text')).toHaveAttribute('aria-invalid', 'true');
  });

  it('follows the applied value', () => {
    const { rerender } = render(<QueryBar value="a" onSearch={() => {}} />);
    rerender(<QueryBar value="b" onSearch={() => {}} />);
    expect(screen.getByTestId('filter-text')).toHaveValue('b');
  });
});

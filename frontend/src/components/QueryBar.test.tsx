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

  describe('autocomplete', () => {
    const ctx = { apps: ['web', 'worker'], values: { host: ['web-1'] }, attributeKeys: ['status'] };
    const options = () => screen.queryAllByTestId('query-suggestion').map((e) => e.textContent);

    it('suggests field names while typing a word', async () => {
      const user = userEvent.setup();
      render(<QueryBar value="" onSearch={() => {}} suggestions={ctx} />);
      await user.type(screen.getByTestId('filter-text'), 'timeout s');
      expect(screen.getByTestId('query-suggestions')).toBeInTheDocument();
      expect(options()).toEqual(['service:', 'span_id:']);
      await user.clear(screen.getByTestId('filter-text'));
      await user.type(screen.getByTestId('filter-text'), 'attr');
      expect(options()).toEqual(['attributes.', 'attributes.status:']);
    });

    it('suggests levels after level: and apps after app:', async () => {
      const user = userEvent.setup();
      render(<QueryBar value="" onSearch={() => {}} suggestions={ctx} />);
      const input = screen.getByTestId('filter-text');
      await user.type(input, 'level:');
      expect(options()).toEqual(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
      await user.type(input, '>=w');
      expect(options()).toEqual(['warn']);
      await user.clear(input);
      await user.type(input, 'app:');
      expect(options()).toEqual(['web', 'worker']);
      await user.type(input, 'wo');
      expect(options()).toEqual(['worker']);
    });

    it('arrow keys move, Enter and Tab insert the highlighted suggestion without searching', async () => {
      const user = userEvent.setup();
      const onSearch = vi.fn();
      render(<QueryBar value="" onSearch={onSearch} suggestions={ctx} />);
      const input = screen.getByTestId('filter-text');
      await user.type(input, 'lev');
      await user.keyboard('{ArrowDown}');
      expect(screen.getAllByTestId('query-suggestion')[0]).toHaveAttribute('aria-selected', 'true');
      await user.keyboard('{Enter}');
      expect(input).toHaveValue('level:');
      expect(onSearch).not.toHaveBeenCalled();
      // values follow right away
      expect(options()).toContain('error');
      await user.keyboard('{ArrowDown}{ArrowDown}{ArrowDown}{ArrowDown}{ArrowDown}{ArrowUp}');
      expect(screen.getAllByTestId('query-suggestion')[3]).toHaveAttribute('aria-selected', 'true');
      await user.keyboard('{Tab}');
      expect(input).toHaveValue('level:warn ');
      expect(input).toHaveFocus();
      expect(screen.queryByTestId('query-suggestions')).not.toBeInTheDocument();
      await user.type(input, 'app:w');
      await user.keyboard('{ArrowDown}{ArrowDown}{Enter}');
      expect(input).toHaveValue('level:warn app:worker ');
      // Enter without a highlighted suggestion runs the search
      await user.type(input, 'ho');
      expect(options()).toEqual(['host:']);
      await user.keyboard('{Enter}');
      expect(onSearch).toHaveBeenCalledWith('level:warn app:worker ho');
      expect(screen.queryByTestId('query-suggestions')).not.toBeInTheDocument();
    });

    it('clicking a suggestion inserts it; Escape closes the list', async () => {
      const user = userEvent.setup();
      render(<QueryBar value="" onSearch={() => {}} suggestions={ctx} />);
      const input = screen.getByTestId('filter-text');
      await user.type(input, 'host:');
      await user.click(screen.getByText('web-1'));
      expect(input).toHaveValue('host:web-1 ');
      await user.type(input, 'se');
      expect(screen.getByTestId('query-suggestions')).toBeInTheDocument();
      await user.keyboard('{Escape}');
      expect(screen.queryByTestId('query-suggestions')).not.toBeInTheDocument();
      expect(input).toHaveValue('host:web-1 se');
    });

    it('has a syntax and keyboard help popover that Esc and an outside press close', async () => {
      const user = userEvent.setup();
      render(
        <>
          <QueryBar value="" onSearch={() => {}} />
          <p>outside</p>
        </>,
      );
      const button = screen.getByRole('button', { name: 'Query syntax and keyboard help' });
      expect(button).toHaveAttribute('aria-expanded', 'false');
      await user.click(button);
      const dialog = screen.getByRole('dialog');
      expect(button).toHaveAttribute('aria-expanded', 'true');
      expect(dialog).toHaveTextContent('level:>=warn');
      expect(dialog).toHaveTextContent('attributes.n:>=500');
      expect(dialog).toHaveTextContent('Skip to results');
      expect(screen.getByTestId('keyboard-help')).toHaveTextContent('j/k');
      await user.keyboard('{Escape}');
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
      expect(button).toHaveFocus();
      await user.click(button);
      await user.click(screen.getByText('outside'));
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    });

    it('keeps the text on Esc', async () => {
      const user = userEvent.setup();
      render(<QueryBar value="" onSearch={() => {}} />);
      const input = screen.getByTestId('filter-text');
      expect(input).toHaveAttribute('type', 'text');
      await user.type(input, 'level:error{Escape}{Escape}');
      expect(input).toHaveValue('level:error');
    });
  });
});

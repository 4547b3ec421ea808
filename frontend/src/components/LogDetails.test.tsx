import { act, fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LogDetails } from './LogDetails';
import { makeEntry } from '../test/fixtures';

describe('LogDetails copy buttons', () => {
  const entry = makeEntry({ message: 'upstream timeout', host: 'web-7', trace_id: 'abc123', attributes: { n: 1 } });
  let writeText: ReturnType<typeof vi.fn>;

  beforeEach(() => {
    writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
  });
  afterEach(() => {
    Reflect.deleteProperty(navigator, 'clipboard');
    vi.useRealTimers();
  });

  it('copies the message and shows "Copied"', async () => {
    render(<LogDetails entry={entry} />);
    const button = screen.getByTestId('copy-message');
    expect(button).toHaveTextContent('Copy message');
    fireEvent.click(button);
    expect(writeText).toHaveBeenCalledWith('upstream timeout');
    expect(await screen.findByText('Copied')).toBe(button);
  });

  it('copies the whole entry as JSON', async () => {
    render(<LogDetails entry={entry} />);
    fireEvent.click(screen.getByTestId('copy-json'));
    expect(writeText).toHaveBeenCalledTimes(1);
    expect(JSON.parse(writeText.mock.calls[0][0] as string)).toEqual(entry);
    expect(await within(screen.getByTestId('copy-json')).findByText('Copied')).toBeInTheDocument();
  });

  it('copies a single field value; empty fields have no copy button', async () => {
    // userEvent.setup() installs its own clipboard; set ours up after it.
    const user = userEvent.setup();
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    render(<LogDetails entry={entry} />);
    const host = document.querySelector('[data-field="host"]') as HTMLElement;
    await user.click(within(host).getByTestId('copy-field'));
    expect(writeText).toHaveBeenLastCalledWith('web-7');
    const trace = document.querySelector('[data-field="trace_id"]') as HTMLElement;
    await user.click(within(trace).getByTestId('copy-field'));
    expect(writeText).toHaveBeenLastCalledWith('abc123');
    const span = document.querySelector('[data-field="span_id"]') as HTMLElement;
    expect(within(span).queryByTestId('copy-field')).not.toBeInTheDocument();
  });

  it('goes back to its label after a moment, and says so when copying fails', async () => {
    vi.useFakeTimers();
    render(<LogDetails entry={entry} />);
    const button = screen.getByTestId('copy-message');
    await act(async () => {
      fireEvent.click(button);
    });
    expect(button).toHaveTextContent('Copied');
    act(() => {
      vi.advanceTimersByTime(2000);
    });
    expect(button).toHaveTextContent('Copy message');
    writeText.mockImplementationOnce(() => Promise.reject(new Error('denied')));
    await act(async () => {
      fireEvent.click(button);
    });
    expect(button).toHaveTextContent('Copy failed');
  });
});

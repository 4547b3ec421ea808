import { beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveTail, defaultTailUrl, lineRate, type LiveStatus } from './live';
import { FakeWebSocket, fakeSocketFactory } from './test/FakeWebSocket';
import { makeEntry } from './test/fixtures';

function setup() {
  const onEntries = vi.fn();
  const onError = vi.fn();
  const statuses: LiveStatus[] = [];
  const timers: Array<{ fn: () => void; ms: number }> = [];
  const tail = new LiveTail({
    url: 'ws://example.test/ws/v1/tail',
    onEntries,
    onError,
    onStatus: (s) => statuses.push(s),
    createSocket: fakeSocketFactory,
    setTimer: (fn, ms) => {
      timers.push({ fn, ms });
      return timers.length;
    },
    clearTimer: () => {},
  });
  return { tail, onEntries, onError, statuses, timers };
}

beforeEach(() => FakeWebSocket.reset());

describe('defaultTailUrl', () => {
  it('uses ws: or wss: on the same host', () => {
    expect(defaultTailUrl({ protocol: 'http:', host: 'logs.local:8000' })).toBe('ws://logs.local:8000/ws/v1/tail');
    expect(defaultTailUrl({ protocol: 'https:', host: 'logs.example.com' })).toBe('wss://logs.example.com/ws/v1/tail');
  });
});

describe('LiveTail', () => {
  it('sends the subscribe message with the filters once the socket opens', () => {
    const { tail, statuses } = setup();
    tail.start(' level:>=warn app:web timeout ');
    const ws = FakeWebSocket.last();
    expect(ws.url).toBe('ws://example.test/ws/v1/tail');
    expect(ws.sent).toEqual([]); // nothing before open
    expect(statuses).toEqual(['connecting']);

    ws.serverOpen();
    expect(ws.sentJson()).toEqual([{ type: 'subscribe', q: 'level:>=warn app:web timeout' }]);
    expect(statuses).toEqual(['connecting', 'live']);
  });

  it('re-subscribes on the same socket when the query changes', () => {
    const { tail } = setup();
    tail.start('');
    const ws = FakeWebSocket.last();
    ws.serverOpen();
    tail.setQuery('level:>=error');
    expect(ws.sentJson()).toEqual([
      { type: 'subscribe', q: '' },
      { type: 'subscribe', q: 'level:>=error' },
    ]);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('delivers entries and reports server errors', () => {
    const { tail, onEntries, onError } = setup();
    tail.start('');
    const ws = FakeWebSocket.last();
    ws.serverOpen();
    const a = makeEntry({ message: 'first' });
    const b = makeEntry({ message: 'second' });
    ws.serverSend({ type: 'subscribed', filters: {} });
    ws.serverSend({ type: 'entries', entries: [a, b] });
    ws.serverSend({ type: 'error', error: { status: 400, code: 'invalid_level', message: 'bad level' } });
    ws.onmessage?.(new MessageEvent('message', { data: 'not json' }));

    expect(onEntries).toHaveBeenCalledTimes(1);
    expect(onEntries).toHaveBeenCalledWith([a, b]);
    expect(onError).toHaveBeenCalledWith('bad level');
  });

  it('acknowledges each batch of entries and reports what the server skipped', () => {
    const onSkipped = vi.fn();
    const tail = new LiveTail({
      url: 'ws://example.test/ws/v1/tail',
      onEntries: vi.fn(),
      onSkipped,
      createSocket: fakeSocketFactory,
      setTimer: () => 0,
      clearTimer: () => {},
    });
    tail.start('');
    const ws = FakeWebSocket.last();
    ws.serverOpen();
    ws.serverSend({ type: 'entries', entries: [makeEntry({ message: 'one' })] });
    ws.serverSend({ type: 'skipped', count: 1234 });
    expect(ws.sentJson().map((m) => (m as { type: string }).type)).toEqual(['subscribe', 'ack']);
    expect(onSkipped).toHaveBeenCalledWith(1234);
  });

  it('reconnects with growing backoff after the connection drops, and subscribes again', () => {
    const { tail, statuses, timers } = setup();
    tail.start('x');
    FakeWebSocket.last().serverOpen();

    FakeWebSocket.last().serverClose();
    expect(statuses.at(-1)).toBe('reconnecting');
    expect(timers.map((t) => t.ms)).toEqual([1000]);
    timers[0].fn();
    expect(FakeWebSocket.instances).toHaveLength(2);

    FakeWebSocket.last().serverClose(); // fails again before opening
    expect(timers.map((t) => t.ms)).toEqual([1000, 2000]);
    timers[1].fn();

    const ws3 = FakeWebSocket.last();
    ws3.serverOpen();
    expect(statuses.at(-1)).toBe('live');
    expect(ws3.sentJson()).toEqual([{ type: 'subscribe', q: 'x' }]);
  });

  it('caps the backoff', () => {
    const { tail } = setup();
    expect(tail.backoffDelay(0)).toBe(1000);
    expect(tail.backoffDelay(3)).toBe(8000);
    expect(tail.backoffDelay(20)).toBe(30000);
  });

  it('stop() closes the socket and does not reconnect', () => {
    const { tail, statuses, timers } = setup();
    tail.start('');
    const ws = FakeWebSocket.last();
    ws.serverOpen();
    tail.stop();
    expect(ws.closedWith).toBe(1000);
    expect(statuses.at(-1)).toBe('off');
    ws.serverClose(1000);
    expect(timers).toHaveLength(0);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('stops without reconnecting when the server refuses with a 44xx close code', () => {
    const { tail, statuses, timers, onError } = setup();
    tail.start('');
    FakeWebSocket.last().serverClose(4401, 'Sign in or send an API key with the read scope.');
    expect(statuses.at(-1)).toBe('stopped');
    expect(onError).toHaveBeenCalledWith('Sign in or send an API key with the read scope.');
    expect(timers).toHaveLength(0);
    expect(tail.status).toBe('stopped');
  });

  it('sends pause and resume, and pauses again after a reconnect', () => {
    const { tail, timers } = setup();
    tail.start('x');
    const ws = FakeWebSocket.last();
    ws.serverOpen();
    tail.pause();
    tail.pause(); // no duplicate
    expect(tail.isPaused).toBe(true);
    ws.serverClose();
    timers[0].fn();
    const ws2 = FakeWebSocket.last();
    ws2.serverOpen();
    expect(ws2.sentJson()).toEqual([{ type: 'subscribe', q: 'x' }, { type: 'pause' }]);
    tail.resume();
    expect(ws2.sentJson().at(-1)).toEqual({ type: 'resume' });
    expect(ws.sentJson()).toEqual([{ type: 'subscribe', q: 'x' }, { type: 'pause' }]);
  });
});

describe('lineRate', () => {
  it('averages the lines inside the window', () => {
    expect(lineRate([[1000, 10], [4000, 15], [5500, 25]], 6000, 5000)).toBe(8);
    expect(lineRate([], 0)).toBe(0);
  });
});

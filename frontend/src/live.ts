import { useCallback, useEffect, useRef, useState } from 'react';
import type { LogEntry } from './types';

/**
 * Live feed over the WebSocket at /ws/v1/tail.
 *
 * Protocol: after open the client sends
 *   {"type":"subscribe","q":"<query language>"}
 * (again whenever the query changes), {"type":"ack"} after each batch and
 * {"type":"pause"} / {"type":"resume"}; the server sends
 *   {"type":"entries","entries":[Entry,...]}   (oldest first)
 *   {"type":"subscribed","filters":{...}}
 *   {"type":"skipped","count":N}, {"type":"heartbeat"}
 *   {"type":"error","error":{status,code,message,field}}
 * A dropped connection is re-opened with exponential backoff until stop().
 */

export type LiveStatus = 'off' | 'connecting' | 'live' | 'reconnecting' | 'stopped';

/** Close codes 4400–4499 (e.g. 4401 signed out, 4403 forbidden) are final: no reconnect. */
export function isPermanentClose(code: number): boolean {
  return code >= 4400 && code < 4500;
}

/** The part of the browser WebSocket that LiveTail uses (so tests can fake it). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: Event) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  onclose: ((ev: CloseEvent) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

export interface SubscribeMessage {
  type: 'subscribe';
  q: string;
}

export interface LiveTailOptions {
  /** Told how many matching lines the server skipped because this client fell behind. */
  onSkipped?: (count: number) => void;
  /** Receives each batch of new entries, oldest first (as the server sends them). */
  onEntries: (entries: LogEntry[]) => void;
  onStatus?: (status: LiveStatus) => void;
  /** Server-reported errors (`{"type":"error"}`), as human text. */
  onError?: (message: string) => void;
  url?: string;
  createSocket?: WebSocketFactory;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

const OPEN = 1;

/** ws(s)://<same host>/ws/v1/tail */
export function defaultTailUrl(loc: Pick<Location, 'protocol' | 'host'> = window.location): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/ws/v1/tail`;
}

export function subscribeMessage(q: string): SubscribeMessage {
  return { type: 'subscribe', q: q.trim() };
}

export class LiveTail {
  private readonly opts: Required<
    Pick<LiveTailOptions, 'initialBackoffMs' | 'maxBackoffMs' | 'setTimer' | 'clearTimer' | 'createSocket'>
  > &
    LiveTailOptions;
  private socket: WebSocketLike | null = null;
  private query: string | null = null;
  private paused = false;
  private running = false;
  private attempt = 0;
  private retryTimer: unknown = null;
  private _status: LiveStatus = 'off';

  constructor(options: LiveTailOptions) {
    this.opts = {
      ...options,
      initialBackoffMs: options.initialBackoffMs ?? 1000,
      maxBackoffMs: options.maxBackoffMs ?? 30000,
      setTimer: options.setTimer ?? ((fn, ms) => setTimeout(fn, ms)),
      clearTimer: options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>)),
      createSocket: options.createSocket ?? ((url) => new WebSocket(url)),
    };
  }

  get status(): LiveStatus {
    return this._status;
  }

  /** Opens the connection (if not already running) and subscribes with query `q`. */
  start(q: string): void {
    this.query = q;
    if (this.running) {
      this.sendSubscribe();
      return;
    }
    this.running = true;
    this.attempt = 0;
    this.connect('connecting');
  }

  /** New query: re-sends the subscribe message on an open connection. */
  setQuery(q: string): void {
    this.query = q;
    this.sendSubscribe();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Asks the server to hold new lines (it keeps a bounded buffer and reports what it skips). */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.sendJson({ type: 'pause' });
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.sendJson({ type: 'resume' });
  }

  stop(): void {
    this.running = false;
    if (this.retryTimer !== null) {
      this.opts.clearTimer(this.retryTimer);
      this.retryTimer = null;
    }
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      this.detach(socket);
      try {
        socket.close(1000, 'live off');
      } catch {
        /* already closed */
      }
    }
    this.setStatus('off');
  }

  /** Delay before reconnect attempt number `attempt` (0-based). */
  backoffDelay(attempt: number): number {
    return Math.min(this.opts.maxBackoffMs, this.opts.initialBackoffMs * 2 ** attempt);
  }

  private connect(status: LiveStatus): void {
    this.setStatus(status);
    let socket: WebSocketLike;
    try {
      socket = this.opts.createSocket(this.opts.url ?? defaultTailUrl());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.setStatus('live');
      this.sendSubscribe();
    };
    socket.onmessage = (ev) => {
      if (this.socket !== socket) return;
      this.handleMessage(ev.data);
    };
    socket.onerror = () => {
      /* a close event follows; reconnect is handled there */
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.detach(socket);
      this.socket = null;
      if (!this.running) return;
      if (isPermanentClose(ev?.code ?? 0)) {
        this.running = false;
        this.setStatus('stopped');
        this.opts.onError?.(ev.reason || `The live feed was refused (code ${ev.code})`);
        return;
      }
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (!this.running) return;
    this.setStatus('reconnecting');
    const delay = this.backoffDelay(this.attempt);
    this.attempt += 1;
    this.retryTimer = this.opts.setTimer(() => {
      this.retryTimer = null;
      if (this.running) this.connect('reconnecting');
    }, delay);
  }

  private handleMessage(data: unknown): void {
    if (typeof data !== 'string') return;
    let msg: unknown;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof msg !== 'object' || msg === null) return;
    const m = msg as { type?: unknown; entries?: unknown; error?: { message?: unknown } };
    // The server answered: the connection works, so later drops start backoff afresh.
    this.attempt = 0;
    if (m.type === 'entries' && Array.isArray(m.entries)) {
      if (m.entries.length > 0) this.opts.onEntries(m.entries as LogEntry[]);
      // Flow control: the server sends a few messages ahead of our acks, then counts what it skips.
      this.sendJson({ type: 'ack' });
    } else if (m.type === 'skipped') {
      const count = (msg as { count?: unknown }).count;
      if (typeof count === 'number') this.opts.onSkipped?.(count);
    } else if (m.type === 'error') {
      const text = typeof m.error?.message === 'string' ? m.error.message : 'Live feed error';
      this.opts.onError?.(text);
    }
    // "subscribed" needs no action.
  }

  private sendJson(message: object): void {
    const socket = this.socket;
    if (socket && socket.readyState === OPEN) socket.send(JSON.stringify(message));
  }

  private sendSubscribe(): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN || this.query === null) return;
    socket.send(JSON.stringify(subscribeMessage(this.query)));
    // A fresh connection starts unpaused on the server.
    if (this.paused) socket.send(JSON.stringify({ type: 'pause' }));
  }

  private detach(socket: WebSocketLike): void {
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = null;
  }

  private setStatus(status: LiveStatus): void {
    if (status === this._status) return;
    this._status = status;
    this.opts.onStatus?.(status);
  }
}

export interface UseLiveTailResult {
  status: LiveStatus;
  error: string | null;
  paused: boolean;
  /** Lines the server skipped (client too slow, or paused too long) since live was switched on. */
  skipped: number;
  /** Lines per second over the last few seconds. */
  rate: number;
  pause: () => void;
  resume: () => void;
  clearSkipped: () => void;
}

const RATE_WINDOW_MS = 5000;

/** Lines/s from (timestamp, count) samples within the window ending at `now`. */
export function lineRate(samples: Array<[number, number]>, now: number, windowMs = RATE_WINDOW_MS): number {
  let total = 0;
  for (const [t, n] of samples) if (now - t < windowMs) total += n;
  return total / (windowMs / 1000);
}

/**
 * React binding: while `enabled`, keeps a LiveTail open with query `q` and
 * hands new entries (oldest first) to `onEntries`.
 */
export function useLiveTail(
  enabled: boolean,
  q: string,
  onEntries: (entries: LogEntry[]) => void,
  createSocket?: WebSocketFactory,
  url?: string,
): UseLiveTailResult {
  const [status, setStatus] = useState<LiveStatus>('off');
  const [error, setError] = useState<string | null>(null);
  const [paused, setPaused] = useState(false);
  const [skipped, setSkipped] = useState(0);
  const [rate, setRate] = useState(0);
  const samples = useRef<Array<[number, number]>>([]);
  const onEntriesRef = useRef(onEntries);
  onEntriesRef.current = onEntries;
  const tailRef = useRef<LiveTail | null>(null);

  useEffect(() => {
    if (!enabled) return;
    const tail = new LiveTail({
      onEntries: (entries) => {
        samples.current.push([Date.now(), entries.length]);
        onEntriesRef.current(entries);
      },
      onSkipped: (count) => setSkipped((n) => n + count),
      onStatus: setStatus,
      onError: setError,
      createSocket,
      url,
    });
    tailRef.current = tail;
    setError(null);
    setPaused(false);
    setSkipped(0);
    samples.current = [];
    const timer = setInterval(() => {
      const now = Date.now();
      samples.current = samples.current.filter(([t]) => now - t < RATE_WINDOW_MS);
      setRate(lineRate(samples.current, now));
    }, 1000);
    return () => {
      clearInterval(timer);
      tail.stop();
      tailRef.current = null;
      setStatus('off');
      setRate(0);
    };
  }, [enabled, createSocket, url]);

  useEffect(() => {
    if (!enabled || !tailRef.current) return;
    setError(null);
    tailRef.current.start(q);
  }, [enabled, q]);

  const pause = useCallback(() => {
    tailRef.current?.pause();
    setPaused(true);
  }, []);
  const resume = useCallback(() => {
    tailRef.current?.resume();
    setPaused(false);
  }, []);
  const clearSkipped = useCallback(() => setSkipped(0), []);

  return { status, error, paused, skipped, rate, pause, resume, clearSkipped };
}

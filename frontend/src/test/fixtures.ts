import type { LogEntry } from '../types';

let n = 0;

export function makeEntry(overrides: Partial<LogEntry> = {}): LogEntry {
  n += 1;
  return {
    id: `0190c8e4-0000-7000-8000-${String(n).padStart(12, '0')}`,
    time: '2026-11-29T23:40:01.123456Z',
    received_at: '2026-11-29T23:40:01.200000Z',
    app: 'web',
    level: 'info',
    message: `message ${n}`,
    service: 'api',
    host: 'web-1',
    trace_id: '',
    span_id: '',
    attributes: {},
    ...overrides,
  };
}

export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

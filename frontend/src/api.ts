import type { ApiErrorBody, AppsResponse, Level, LogsPage, Me } from './types';

/** An error from the API, carrying the backend's `error` object when there was one. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | null;

  constructor(status: number, code: string, message: string, field: string | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }

  get isUnauthorized(): boolean {
    return this.status === 401 || this.code === 'not_authenticated';
  }
}

export interface LogsQuery {
  app?: string | null;
  level?: Level | '' | null;
  q?: string | null;
  since?: string | null;
  until?: string | null;
  limit?: number | null;
  cursor?: string | null;
}

const QUERY_KEYS = ['app', 'level', 'q', 'since', 'until', 'limit', 'cursor'] as const;

/** Query string for GET /api/v1/logs; unset and empty values are left out. */
export function buildLogsQuery(query: LogsQuery): string {
  const params = new URLSearchParams();
  for (const key of QUERY_KEYS) {
    const value = query[key];
    if (value === undefined || value === null) continue;
    const text = typeof value === 'number' ? String(value) : value.trim();
    if (text === '') continue;
    params.set(key, text);
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

function isApiErrorBody(body: unknown): body is ApiErrorBody {
  if (typeof body !== 'object' || body === null) return false;
  const err = (body as { error?: unknown }).error;
  return typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string';
}

/** Value of a cookie (e.g. Django's `csrftoken`), or '' when absent. */
export function getCookie(name: string, cookieString: string = document.cookie): string {
  for (const part of cookieString.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      return decodeURIComponent(part.slice(eq + 1).trim());
    }
  }
  return '';
}

export function getCsrfToken(): string {
  return getCookie('csrftoken');
}

/**
 * Same-origin JSON request. Non-GET requests carry Django's CSRF header.
 * Throws ApiError with the backend's message on a non-2xx answer.
 */
export async function requestJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const method = (init.method ?? 'GET').toUpperCase();
  const headers = new Headers(init.headers);
  headers.set('Accept', 'application/json');
  if (method !== 'GET' && method !== 'HEAD') {
    const token = getCsrfToken();
    if (token) headers.set('X-CSRFToken', token);
    if (init.body !== undefined && !headers.has('Content-Type')) {
      headers.set('Content-Type', 'application/json');
    }
  }

  let response: Response;
  try {
    response = await fetch(path, { ...init, method, headers, credentials: 'same-origin' });
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e;
    throw new ApiError(0, 'network_error', `Network error: ${(e as Error)?.message ?? 'request failed'}`);
  }

  let body: unknown = null;
  const text = await response.text();
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }

  if (!response.ok) {
    if (isApiErrorBody(body)) {
      const e = body.error;
      throw new ApiError(e.status ?? response.status, e.code ?? 'error', e.message, e.field ?? null);
    }
    const reason = response.statusText ? ` ${response.statusText}` : '';
    throw new ApiError(response.status, 'http_error', `Request failed (${response.status}${reason})`);
  }
  if (body === null) {
    throw new ApiError(response.status, 'bad_response', 'The server sent a response that is not JSON');
  }
  return body as T;
}

export const API_BASE = '/api/v1';

export function getMe(): Promise<Me> {
  return requestJson<Me>(`${API_BASE}/me`);
}

export function getApps(): Promise<AppsResponse> {
  return requestJson<AppsResponse>(`${API_BASE}/apps`);
}

export function getLogs(query: LogsQuery = {}, init: RequestInit = {}): Promise<LogsPage> {
  return requestJson<LogsPage>(`${API_BASE}/logs${buildLogsQuery(query)}`, init);
}

/** Human text for anything thrown by the API layer. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error && e.message) return e.message;
  return 'Something went wrong';
}

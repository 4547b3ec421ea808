import type {
  ApiErrorBody,
  ApiKeyInfo,
  App as AppInfo,
  AppsResponse,
  ContextResponse,
  FacetsResponse,
  HistogramResponse,
  Level,
  LogsPage,
  Me,
  SavedSearch,
  SavedSearchInput,
} from './types';

/** An error from the API, carrying the backend's `error` object when there was one. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | null;
  /** For an invalid query: 0-based character offset of the problem. */
  readonly position: number | null;
  /** For an invalid query: what the parser expected there. */
  readonly expected: string | null;

  constructor(
    status: number,
    code: string,
    message: string,
    field: string | null = null,
    position: number | null = null,
    expected: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.position = position;
    this.expected = expected;
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
  order?: 'newest' | 'oldest' | null;
}

const QUERY_KEYS = ['app', 'level', 'q', 'since', 'until', 'order', 'limit', 'cursor'] as const;

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

export const TENANT_HEADER = 'X-Devlogs-Tenant';
let currentTenant = '';

/** Act in another of the user's tenants ('' = the session's default) on every later request. */
export function setApiTenant(slug: string): void {
  currentTenant = slug;
}

export function getApiTenant(): string {
  return currentTenant;
}

/**
 * Same-origin JSON request. Non-GET requests carry Django's CSRF header.
 * Throws ApiError with the backend's message on a non-2xx answer.
 */
export async function requestJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const method = (init.method ?? 'GET').toUpperCase();
  const headers = new Headers(init.headers);
  headers.set('Accept', 'application/json');
  if (currentTenant && !headers.has(TENANT_HEADER)) headers.set(TENANT_HEADER, currentTenant);
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
      throw new ApiError(
        e.status ?? response.status,
        e.code ?? 'error',
        e.message,
        e.field ?? null,
        typeof e.position === 'number' ? e.position : null,
        typeof e.expected === 'string' ? e.expected : null,
      );
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

/** What every read endpoint filters by. */
export interface SearchParams {
  q: string;
  since: string | null;
  until: string | null;
}

function searchQuery(params: SearchParams, extra: Array<[string, string]> = []): string {
  const p = new URLSearchParams();
  if (params.q.trim()) p.set('q', params.q.trim());
  if (params.since) p.set('since', params.since);
  if (params.until) p.set('until', params.until);
  for (const [k, v] of extra) p.append(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

export function getHistogram(params: SearchParams, init: RequestInit = {}): Promise<HistogramResponse> {
  return requestJson<HistogramResponse>(`${API_BASE}/logs/histogram${searchQuery(params)}`, init);
}

export const FACET_FIELDS = ['level', 'app', 'service', 'host'] as const;

export function getFacets(
  params: SearchParams,
  fields: readonly string[] = FACET_FIELDS,
  limit = 10,
  init: RequestInit = {},
): Promise<FacetsResponse> {
  const extra: Array<[string, string]> = fields.map((f) => ['field', f]);
  extra.push(['limit', String(limit)]);
  return requestJson<FacetsResponse>(`${API_BASE}/logs/facets${searchQuery(params, extra)}`, init);
}

export function getContext(id: string, before = 20, after = 20): Promise<ContextResponse> {
  return requestJson<ContextResponse>(
    `${API_BASE}/logs/${encodeURIComponent(id)}/context?before=${before}&after=${after}`,
  );
}

/** Download link for the current search (a plain <a href download>; the tenant goes in the query string). */
export function exportUrl(params: SearchParams, format: 'ndjson' | 'csv', tenant: string = currentTenant): string {
  const extra: Array<[string, string]> = [['format', format]];
  if (tenant) extra.push(['tenant', tenant]);
  return `${API_BASE}/logs/export${searchQuery(params, extra)}`;
}

export async function listSavedSearches(): Promise<SavedSearch[]> {
  const body = await requestJson<SavedSearch[] | { results: SavedSearch[] }>(`${API_BASE}/saved-searches`);
  return Array.isArray(body) ? body : body.results;
}

export function createSavedSearch(input: SavedSearchInput): Promise<SavedSearch> {
  return requestJson<SavedSearch>(`${API_BASE}/saved-searches`, { method: 'POST', body: JSON.stringify(input) });
}

export function updateSavedSearch(id: number, patch: Partial<SavedSearchInput>): Promise<SavedSearch> {
  return requestJson<SavedSearch>(`${API_BASE}/saved-searches/${id}`, { method: 'PATCH', body: JSON.stringify(patch) });
}

export async function deleteSavedSearch(id: number): Promise<void> {
  const token = getCsrfToken();
  const headers = new Headers({ Accept: 'application/json' });
  if (token) headers.set('X-CSRFToken', token);
  if (currentTenant) headers.set(TENANT_HEADER, currentTenant);
  let response: Response;
  try {
    response = await fetch(`${API_BASE}/saved-searches/${id}`, { method: 'DELETE', headers, credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, 'network_error', `Network error: ${(e as Error)?.message ?? 'request failed'}`);
  }
  if (!response.ok) {
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      /* not JSON */
    }
    if (isApiErrorBody(body)) throw new ApiError(body.error.status ?? response.status, body.error.code, body.error.message);
    throw new ApiError(response.status, 'http_error', `Request failed (${response.status})`);
  }
}

export function createApp(name: string, slug?: string): Promise<AppInfo> {
  return requestJson<AppInfo>(`${API_BASE}/apps`, { method: 'POST', body: JSON.stringify(slug ? { name, slug } : { name }) });
}

export async function listKeys(): Promise<ApiKeyInfo[]> {
  return (await requestJson<{ results: ApiKeyInfo[] }>(`${API_BASE}/keys`)).results;
}

export function createKey(input: { app: string; scopes: string[]; name: string }): Promise<ApiKeyInfo & { key: string }> {
  return requestJson<ApiKeyInfo & { key: string }>(`${API_BASE}/keys`, { method: 'POST', body: JSON.stringify(input) });
}

export function revokeKey(id: number): Promise<ApiKeyInfo> {
  return requestJson<ApiKeyInfo>(`${API_BASE}/keys/${id}/revoke`, { method: 'POST' });
}

/** Human text for anything thrown by the API layer. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error && e.message) return e.message;
  return 'Something went wrong';
}

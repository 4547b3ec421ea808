import type {
  ApiErrorBody,
  ApiKeyInfo,
  App as AppInfo,
  AppsResponse,
  ContextResponse,
  CountResponse,
  FacetsResponse,
  HistogramResponse,
  Level,
  LogsPage,
  Me,
  SavedSearch,
  SavedSearchInput,
  AlertEventsPage,
  AlertRule,
  AlertRuleInput,
  Channel,
  ChannelInput,
  Cell,
  Dashboard,
  DashboardSummary,
  RotatedKey,
  RulePreview,
  StoredRange,
  Usage,
  Widget,
  WidgetData,
  WidgetInput,
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

  /** The caller's role (or key) does not allow this. */
  get isForbidden(): boolean {
    return this.status === 403 || this.code === 'permission_denied';
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

/** How many lines the search matches, counted up to the server's bound. */
export function getCount(params: SearchParams, init: RequestInit = {}): Promise<CountResponse> {
  return requestJson<CountResponse>(`${API_BASE}/logs/count${searchQuery(params)}`, init);
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

export function deleteSavedSearch(id: number): Promise<void> {
  return requestNoContent(`${API_BASE}/saved-searches/${id}`, { method: 'DELETE' });
}

/** A request whose success has no body (DELETE → 204); errors as in requestJson. */
export async function requestNoContent(path: string, init: RequestInit = {}): Promise<void> {
  const method = (init.method ?? 'DELETE').toUpperCase();
  const headers = new Headers(init.headers);
  headers.set('Accept', 'application/json');
  const token = getCsrfToken();
  if (token) headers.set('X-CSRFToken', token);
  if (currentTenant && !headers.has(TENANT_HEADER)) headers.set(TENANT_HEADER, currentTenant);
  let response: Response;
  try {
    response = await fetch(path, { ...init, method, headers, credentials: 'same-origin' });
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
    if (isApiErrorBody(body)) {
      throw new ApiError(body.error.status ?? response.status, body.error.code, body.error.message, body.error.field ?? null);
    }
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

/** Replaces an active key; the old one keeps working for `graceHours`. The new key is in the answer, once. */
export function rotateKey(id: number, graceHours: number): Promise<RotatedKey> {
  return requestJson<RotatedKey>(`${API_BASE}/keys/${id}/rotate`, {
    method: 'POST',
    body: JSON.stringify({ grace_hours: graceHours }),
  });
}

export function getUsage(): Promise<Usage> {
  return requestJson<Usage>(`${API_BASE}/usage`);
}

// --- alerts ---------------------------------------------------------------------------------------

const ALERTS = `${API_BASE}/alerts`;

export function listRules(): Promise<AlertRule[]> {
  return requestJson<AlertRule[]>(`${ALERTS}/rules`);
}

export function createRule(input: AlertRuleInput): Promise<AlertRule> {
  return requestJson<AlertRule>(`${ALERTS}/rules`, { method: 'POST', body: JSON.stringify(input) });
}

/** Edit a rule; also how it is muted (`muted_until`: a time) and unmuted (`muted_until: null`). */
export function updateRule(id: number, patch: Partial<AlertRuleInput> & { muted_until?: string | null }): Promise<AlertRule> {
  return requestJson<AlertRule>(`${ALERTS}/rules/${id}`, { method: 'PATCH', body: JSON.stringify(patch) });
}

export function deleteRule(id: number): Promise<void> {
  return requestNoContent(`${ALERTS}/rules/${id}`, { method: 'DELETE' });
}

export function previewRule(input: Partial<AlertRuleInput>): Promise<RulePreview> {
  return requestJson<RulePreview>(`${ALERTS}/preview`, { method: 'POST', body: JSON.stringify(input) });
}

export function listAlertEvents(opts: { rule?: number; cursor?: string | null; limit?: number } = {}): Promise<AlertEventsPage> {
  const p = new URLSearchParams();
  if (opts.rule !== undefined) p.set('rule', String(opts.rule));
  if (opts.cursor) p.set('cursor', opts.cursor);
  if (opts.limit !== undefined) p.set('limit', String(opts.limit));
  const s = p.toString();
  return requestJson<AlertEventsPage>(`${ALERTS}/events${s ? `?${s}` : ''}`);
}

export function listChannels(): Promise<Channel[]> {
  return requestJson<Channel[]>(`${ALERTS}/channels`);
}

export function createChannel(input: ChannelInput): Promise<Channel> {
  return requestJson<Channel>(`${ALERTS}/channels`, { method: 'POST', body: JSON.stringify(input) });
}

export function updateChannel(id: number, patch: Partial<ChannelInput>): Promise<Channel> {
  return requestJson<Channel>(`${ALERTS}/channels/${id}`, { method: 'PATCH', body: JSON.stringify(patch) });
}

export function deleteChannel(id: number): Promise<void> {
  return requestNoContent(`${ALERTS}/channels/${id}`, { method: 'DELETE' });
}

export function rotateChannelSecret(id: number): Promise<Channel> {
  return requestJson<Channel>(`${ALERTS}/channels/${id}/rotate-secret`, { method: 'POST' });
}

export function testChannel(id: number): Promise<{ ok: boolean; status: number | null }> {
  return requestJson<{ ok: boolean; status: number | null }>(`${ALERTS}/channels/${id}/test`, { method: 'POST' });
}

// --- dashboards -----------------------------------------------------------------------------------

const DASHBOARDS = `${API_BASE}/dashboards`;

export function listDashboards(): Promise<DashboardSummary[]> {
  return requestJson<DashboardSummary[]>(DASHBOARDS);
}

export function createDashboard(input: { name: string; description?: string; time_range?: StoredRange; widgets?: WidgetInput[] }): Promise<Dashboard> {
  return requestJson<Dashboard>(DASHBOARDS, { method: 'POST', body: JSON.stringify(input) });
}

export function getDashboard(uid: string, init: RequestInit = {}): Promise<Dashboard> {
  return requestJson<Dashboard>(`${DASHBOARDS}/${encodeURIComponent(uid)}`, init);
}

export function updateDashboard(uid: string, patch: { name?: string; description?: string; time_range?: StoredRange }): Promise<Dashboard> {
  return requestJson<Dashboard>(`${DASHBOARDS}/${encodeURIComponent(uid)}`, { method: 'PATCH', body: JSON.stringify(patch) });
}

export function deleteDashboard(uid: string): Promise<void> {
  return requestNoContent(`${DASHBOARDS}/${encodeURIComponent(uid)}`, { method: 'DELETE' });
}

/** Moves and resizes widgets in one request (the layout editor's Save). */
export function saveLayout(uid: string, widgets: Array<Cell & { id: number }>): Promise<Dashboard> {
  return requestJson<Dashboard>(`${DASHBOARDS}/${encodeURIComponent(uid)}/layout`, {
    method: 'PUT',
    body: JSON.stringify({ widgets }),
  });
}

export function createWidget(uid: string, input: WidgetInput): Promise<Widget> {
  return requestJson<Widget>(`${DASHBOARDS}/${encodeURIComponent(uid)}/widgets`, { method: 'POST', body: JSON.stringify(input) });
}

export function updateWidget(uid: string, id: number, patch: Partial<WidgetInput>): Promise<Widget> {
  return requestJson<Widget>(`${DASHBOARDS}/${encodeURIComponent(uid)}/widgets/${id}`, {
    method: 'PATCH',
    body: JSON.stringify(patch),
  });
}

export function deleteWidget(uid: string, id: number): Promise<void> {
  return requestNoContent(`${DASHBOARDS}/${encodeURIComponent(uid)}/widgets/${id}`, { method: 'DELETE' });
}

/** A widget's numbers for a range: a preset (`range`) or since/until. */
export function getWidgetData(
  uid: string,
  id: number,
  range: { range: string } | { since: string; until: string },
  init: RequestInit = {},
): Promise<WidgetData> {
  const p = new URLSearchParams(range as Record<string, string>);
  return requestJson<WidgetData>(`${DASHBOARDS}/${encodeURIComponent(uid)}/widgets/${id}/data?${p}`, init);
}

/** Human text for anything thrown by the API layer. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error && e.message) return e.message;
  return 'Something went wrong';
}

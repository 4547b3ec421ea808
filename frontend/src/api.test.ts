import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, buildLogsQuery, getApps, getCookie, getLogs, getMe, requestJson } from './api';
import { jsonResponse, makeEntry } from './test/fixtures';

function mockFetch(...responses: Response[]) {
  const fn = vi.fn<typeof fetch>();
  for (const r of responses) fn.mockResolvedValueOnce(r);
  vi.stubGlobal('fetch', fn);
  return fn;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('buildLogsQuery', () => {
  it('is empty when nothing is set', () => {
    expect(buildLogsQuery({})).toBe('');
    expect(buildLogsQuery({ app: '', level: '', q: '  ', cursor: null })).toBe('');
  });

  it('encodes every parameter', () => {
    const qs = buildLogsQuery({
      app: 'web',
      level: 'warn',
      q: 'time out & retry',
      since: '2026-11-29T00:00:00Z',
      until: '2026-11-30T00:00:00Z',
      limit: 100,
      cursor: 'abc+/=',
    });
    expect(qs.startsWith('?')).toBe(true);
    const p = new URLSearchParams(qs.slice(1));
    expect(Object.fromEntries(p)).toEqual({
      app: 'web',
      level: 'warn',
      q: 'time out & retry',
      since: '2026-11-29T00:00:00Z',
      until: '2026-11-30T00:00:00Z',
      limit: '100',
      cursor: 'abc+/=',
    });
    expect(qs).not.toContain(' ');
    expect(qs).toContain('cursor=abc%2B%2F%3D');
  });
});

describe('API calls', () => {
  it('getLogs requests /api/v1/logs with the filters, same-origin credentials', async () => {
    const page = { results: [makeEntry()], next_cursor: 'next-1' };
    const fetchMock = mockFetch(jsonResponse(page));

    await expect(getLogs({ app: 'web', level: 'error', q: 'timeout', limit: 100, cursor: 'c1' })).resolves.toEqual(page);

    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/api/v1/logs?app=web&level=error&q=timeout&limit=100&cursor=c1');
    expect(init?.credentials).toBe('same-origin');
    expect(init?.method).toBe('GET');
  });

  it('getMe and getApps hit their endpoints', async () => {
    const me = { user: { username: 'admin' }, tenant: { slug: 'demo', name: 'Demo' }, tenants: [] };
    const fetchMock = mockFetch(jsonResponse(me), jsonResponse({ results: [{ slug: 'web', name: 'Web' }] }));
    await expect(getMe()).resolves.toEqual(me);
    await expect(getApps()).resolves.toEqual({ results: [{ slug: 'web', name: 'Web' }] });
    expect(fetchMock.mock.calls.map((c) => c[0])).toEqual(['/api/v1/me', '/api/v1/apps']);
  });

  it('surfaces error.message from the error JSON', async () => {
    mockFetch(
      jsonResponse(
        { error: { status: 400, code: 'invalid_level', message: 'level must be one of trace…fatal', field: 'level' } },
        400,
      ),
    );
    const err = await getLogs({ level: 'warn' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toBe('level must be one of trace…fatal');
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).code).toBe('invalid_level');
    expect((err as ApiError).field).toBe('level');
  });

  it('marks 401 as unauthorized', async () => {
    mockFetch(jsonResponse({ error: { status: 401, code: 'not_authenticated', message: 'Sign in first' } }, 401));
    const err = (await getMe().catch((e: unknown) => e)) as ApiError;
    expect(err.isUnauthorized).toBe(true);
    expect(err.message).toBe('Sign in first');
  });

  it('gives a readable message when the error body is not JSON', async () => {
    mockFetch(new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    await expect(getApps()).rejects.toThrow('Request failed (502 Bad Gateway)');
  });

  it('reports network failures', async () => {
    vi.stubGlobal('fetch', vi.fn<typeof fetch>().mockRejectedValue(new TypeError('Failed to fetch')));
    await expect(getMe()).rejects.toThrow('Network error: Failed to fetch');
  });

  it('sends the CSRF token from the cookie on non-GET requests', async () => {
    document.cookie = 'csrftoken=tok123';
    const fetchMock = mockFetch(jsonResponse({ ok: true }));
    await requestJson('/api/v1/thing', { method: 'POST', body: '{}' });
    const headers = new Headers(fetchMock.mock.calls[0][1]?.headers);
    expect(headers.get('X-CSRFToken')).toBe('tok123');
    expect(headers.get('Content-Type')).toBe('application/json');
    document.cookie = 'csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
  });
});

describe('getCookie', () => {
  it('finds a cookie among others', () => {
    expect(getCookie('csrftoken', 'sessionid=s; csrftoken=abc%3D; x=1')).toBe('abc=');
    expect(getCookie('csrftoken', 'sessionid=s')).toBe('');
  });
});

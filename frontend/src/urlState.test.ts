import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, hasRangeParam, parseExplorerState, serializeExplorerState, type ExplorerState } from './urlState';

describe('URL state', () => {
  it('round-trips query, relative range and live', () => {
    const s: ExplorerState = { ...DEFAULT_STATE, q: 'level:>=warn host:web-* -healthcheck', range: { kind: 'relative', preset: '15m' }, live: true };
    const search = serializeExplorerState(s);
    expect(new URLSearchParams(search).get('range')).toBe('15m');
    expect(search).not.toContain('since');
    expect(parseExplorerState(search)).toEqual(s);
  });

  it('round-trips an absolute range, tenant and view', () => {
    const s: ExplorerState = {
      q: 'attributes.status:>=500',
      range: { kind: 'absolute', since: '2026-11-29T00:00:00.000Z', until: '2026-11-29T01:00:00.000Z' },
      live: false,
      tenant: 'acme',
      view: 'logs',
      dashboard: '',
      tz: '',
    };
    expect(parseExplorerState(serializeExplorerState(s))).toEqual(s);
  });

  it('leaves defaults out and falls back on junk', () => {
    expect(serializeExplorerState(DEFAULT_STATE)).toBe('');
    expect(parseExplorerState('')).toEqual(DEFAULT_STATE);
    expect(parseExplorerState('?range=3y&since=x&until=y&live=yes')).toEqual(DEFAULT_STATE);
    expect(parseExplorerState('?view=keys').view).toBe('keys');
    expect(parseExplorerState('?view=nonsense').view).toBe('logs');
  });

  it('reads the server\'s dashboard share link and writes the range into a dashboard link', () => {
    const shared = parseExplorerState('?tenant=acme&view=dashboard&dashboard=0b5c');
    expect(shared).toMatchObject({ view: 'dashboards', dashboard: '0b5c', tenant: 'acme' });
    expect(hasRangeParam('?tenant=acme&view=dashboard&dashboard=0b5c')).toBe(false);
    const search = serializeExplorerState({ ...shared, range: { kind: 'relative', preset: '24h' } });
    expect(search).toBe('?view=dashboard&dashboard=0b5c&tenant=acme&range=24h');
    expect(hasRangeParam(search)).toBe(true);
    expect(parseExplorerState(search)).toEqual({ ...shared, range: { kind: 'relative', preset: '24h' } });
    // the list of dashboards and the alerts page
    expect(serializeExplorerState({ ...DEFAULT_STATE, view: 'dashboards' })).toBe('?view=dashboards');
    expect(parseExplorerState('?view=alerts').view).toBe('alerts');
  });

  it('carries the time zone choice', () => {
    expect(parseExplorerState('?tz=utc').tz).toBe('utc');
    expect(parseExplorerState('?tz=local').tz).toBe('local');
    expect(parseExplorerState('?tz=Mars').tz).toBe('');
    expect(serializeExplorerState({ ...DEFAULT_STATE, tz: 'utc' })).toBe('?tz=utc');
  });
});

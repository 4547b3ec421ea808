import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useFormatTime } from '../timeZone';
import { createApp, createKey, errorMessage, getApps, listKeys, revokeKey, rotateKey } from '../api';
import type { ApiKeyInfo, App } from '../types';
import { UsagePanel } from './UsagePanel';

const MAX_GRACE_HOURS = 24 * 90;

/** Hours the old key keeps working, or null when the text is not a number from 0 to 90 days. */
export function parseGraceHours(text: string): number | null {
  if (!/^\s*\d+(\.\d+)?\s*$/.test(text)) return null;
  const n = Number(text);
  return n >= 0 && n <= MAX_GRACE_HOURS ? n : null;
}

/** Apps and API keys of the tenant (owners/admins): usage, create apps, create keys (shown once), rotate, revoke. */
export function AppsKeysPage({ reloadKey = '' }: { reloadKey?: string }) {
  const formatTime = useFormatTime();
  const [apps, setApps] = useState<App[]>([]);
  const [keys, setKeys] = useState<ApiKeyInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [appName, setAppName] = useState('');
  const [keyApp, setKeyApp] = useState('');
  const [keyName, setKeyName] = useState('');
  const [scopes, setScopes] = useState<{ ingest: boolean; read: boolean }>({ ingest: true, read: false });
  const [newKey, setNewKey] = useState<string | null>(null);
  /** When the new key replaced another: that key's prefix and when it stops working. */
  const [replaced, setReplaced] = useState<{ prefix: string; expiresAt: string | null } | null>(null);
  const [copied, setCopied] = useState(false);
  const [rotating, setRotating] = useState<{ id: number; grace: string } | null>(null);

  const reload = useCallback(() => {
    Promise.all([getApps(), listKeys()])
      .then(([a, k]) => {
        setApps(a.results);
        setKeys(k);
        setKeyApp((cur) => cur || a.results[0]?.slug || '');
      })
      .catch((e) => setError(errorMessage(e)));
  }, []);
  useEffect(reload, [reload, reloadKey]);

  const run = async (fn: () => Promise<unknown>) => {
    try {
      setError(null);
      await fn();
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const addApp = (ev: FormEvent) => {
    ev.preventDefault();
    if (!appName.trim()) return;
    void run(async () => {
      const app = await createApp(appName.trim());
      setApps((list) => [...list, app]);
      setKeyApp((cur) => cur || app.slug);
      setAppName('');
    });
  };

  const addKey = (ev: FormEvent) => {
    ev.preventDefault();
    const chosen = (['ingest', 'read'] as const).filter((s) => scopes[s]);
    if (!keyApp || chosen.length === 0) return;
    void run(async () => {
      const created = await createKey({ app: keyApp, scopes: chosen, name: keyName.trim() });
      const { key, ...info } = created;
      setNewKey(key);
      setReplaced(null);
      setCopied(false);
      setKeys((list) => [info, ...(list ?? [])]);
      setKeyName('');
    });
  };

  const rotate = (ev: FormEvent) => {
    ev.preventDefault();
    if (!rotating) return;
    const hours = parseGraceHours(rotating.grace);
    if (hours === null) return;
    void run(async () => {
      const { key, previous, ...info } = await rotateKey(rotating.id, hours);
      setNewKey(key);
      setReplaced({ prefix: previous.prefix, expiresAt: previous.expires_at });
      setCopied(false);
      setRotating(null);
      setKeys((list) => [info, ...(list ?? []).map((k) => (k.id === previous.id ? previous : k))]);
    });
  };
  const graceInvalid = rotating !== null && parseGraceHours(rotating.grace) === null;

  const revoke = (id: number) =>
    void run(async () => {
      const updated = await revokeKey(id);
      setKeys((list) => (list ?? []).map((k) => (k.id === id ? updated : k)));
    });

  return (
    <div className="apps-keys" data-testid="apps-keys">
      <p className="list-note">
        Operators manage tenants and users in <a href="/admin/">the admin</a>.
      </p>
      {error && (
        <div className="error-banner" role="alert" data-testid="apps-keys-error">
          {error}
        </div>
      )}
      <UsagePanel reloadKey={reloadKey} />
      <section>
        <h2>Apps</h2>
        <ul className="app-list" data-testid="app-list">
          {apps.map((a) => (
            <li key={a.slug}>
              {a.name} <code>{a.slug}</code>
            </li>
          ))}
        </ul>
        <form onSubmit={addApp} className="inline-form">
          <input aria-label="App name" placeholder="New app name" value={appName} onChange={(e) => setAppName(e.target.value)} data-testid="new-app-name" />
          <button type="submit" data-testid="create-app">
            Create app
          </button>
        </form>
      </section>
      <section>
        <h2>API keys</h2>
        {newKey && (
          <div className="new-key" role="status" data-testid="new-key">
            <p>Copy this key now; it will not be shown again.</p>
            {replaced && (
              <p data-testid="rotated-note">
                It replaces <code>{replaced.prefix}</code>, which keeps working until{' '}
                <span data-testid="old-key-expires">{replaced.expiresAt ? formatTime(replaced.expiresAt) : 'it is revoked'}</span>.
              </p>
            )}
            <code data-testid="new-key-value">{newKey}</code>{' '}
            <button
              type="button"
              data-testid="copy-key"
              onClick={() => {
                void navigator.clipboard?.writeText(newKey).then(() => setCopied(true));
              }}
            >
              {copied ? 'Copied' : 'Copy'}
            </button>{' '}
            <button
              type="button"
              className="link-button"
              onClick={() => {
                setNewKey(null);
                setReplaced(null);
              }}
            >
              Done
            </button>
          </div>
        )}
        <form onSubmit={addKey} className="inline-form">
          <select aria-label="App" value={keyApp} onChange={(e) => setKeyApp(e.target.value)} data-testid="new-key-app">
            {apps.map((a) => (
              <option key={a.slug} value={a.slug}>
                {a.name}
              </option>
            ))}
          </select>
          <input aria-label="Key name" placeholder="Key name" value={keyName} onChange={(e) => setKeyName(e.target.value)} />
          {(['ingest', 'read'] as const).map((s) => (
            <label key={s}>
              <input type="checkbox" checked={scopes[s]} onChange={(e) => setScopes({ ...scopes, [s]: e.target.checked })} /> {s}
            </label>
          ))}
          <button type="submit" data-testid="create-key" disabled={!keyApp}>
            Create key
          </button>
        </form>
        {keys === null ? (
          <div className="loading">Loading…</div>
        ) : keys.length === 0 ? (
          <div className="facet-empty">No keys yet</div>
        ) : (
          <div className="table-scroll">
            <table className="keys-table" data-testid="keys-table">
              <thead>
                <tr>
                  <th>Prefix</th>
                  <th>Name</th>
                  <th>App</th>
                  <th>Scopes</th>
                  <th>Last used</th>
                  <th>Expires</th>
                  <th>Active</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {keys.map((k) => (
                  <tr key={k.id} data-testid="key-row" data-active={k.active}>
                    <td>
                      <code>{k.prefix}</code>
                    </td>
                    <td>{k.name || '—'}</td>
                    <td>{k.app}</td>
                    <td>{k.scopes.join(', ')}</td>
                    <td>{k.last_used_at ? formatTime(k.last_used_at) : 'never'}</td>
                    <td data-testid="key-expires">{k.expires_at ? formatTime(k.expires_at) : 'never'}</td>
                    <td>{k.active ? 'yes' : k.revoked_at ? 'revoked' : 'no'}</td>
                    <td className="key-actions">
                      {k.active && rotating?.id !== k.id && (
                        <>
                          <button type="button" data-testid="rotate-key" onClick={() => setRotating({ id: k.id, grace: '24' })}>
                            Rotate
                          </button>{' '}
                          <button type="button" data-testid="revoke-key" onClick={() => revoke(k.id)}>
                            Revoke
                          </button>
                        </>
                      )}
                      {k.active && rotating?.id === k.id && (
                        <form className="inline-form rotate-form" onSubmit={rotate} data-testid="rotate-form">
                          <label>
                            Old key works for{' '}
                            <input
                              type="number"
                              min={0}
                              max={MAX_GRACE_HOURS}
                              step="any"
                              className="grace-input"
                              aria-label="Grace hours"
                              aria-invalid={graceInvalid || undefined}
                              data-testid="rotate-grace"
                              value={rotating.grace}
                              onChange={(e) => setRotating({ id: k.id, grace: e.target.value })}
                            />{' '}
                            hours
                          </label>
                          <button type="submit" data-testid="rotate-confirm" disabled={graceInvalid}>
                            Rotate now
                          </button>
                          <button type="button" className="link-button" onClick={() => setRotating(null)}>
                            Cancel
                          </button>
                          {graceInvalid && (
                            <span className="field-error" role="alert">
                              0 to {MAX_GRACE_HOURS} hours
                            </span>
                          )}
                        </form>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}

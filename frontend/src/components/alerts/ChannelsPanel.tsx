import { useState, type FormEvent } from 'react';
import {
  ApiError,
  createChannel,
  deleteChannel,
  errorMessage,
  rotateChannelSecret,
  testChannel,
  updateChannel,
} from '../../api';
import type { Channel, ChannelInput, ChannelKind } from '../../types';

export interface ChannelsPanelProps {
  channels: Channel[];
  /** Owners and admins manage channels; everyone else sees them (URLs cut to the host). */
  canManage: boolean;
  onChange: (channels: Channel[]) => void;
}

const KIND_LABELS: Record<ChannelKind, string> = { webhook: 'Webhook (signed JSON)', email: 'Email', slack: 'Slack' };

/** "a@x.org, b@y.org" → the addresses. */
export function parseEmails(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function describeError(e: unknown): string {
  if (e instanceof ApiError && e.isForbidden) return `Not allowed: ${e.message}`;
  return errorMessage(e);
}

/** Where alerts go: list, add (a webhook's signing secret is shown once), test, rotate the secret, enable, delete. */
export function ChannelsPanel({ channels, canManage, onChange }: ChannelsPanelProps) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<ChannelKind>('webhook');
  const [url, setUrl] = useState('');
  const [emails, setEmails] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const [tested, setTested] = useState<Record<number, string>>({});
  const [copied, setCopied] = useState(false);

  const run = async (fn: () => Promise<void>) => {
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(describeError(e));
    }
  };

  const showSecret = (c: Channel) => {
    setCopied(false);
    setSecret(c.kind === 'webhook' && c.secret ? { name: c.name, secret: c.secret } : null);
  };

  const add = (ev: FormEvent) => {
    ev.preventDefault();
    if (!name.trim()) {
      setError('Give the channel a name.');
      return;
    }
    const input: ChannelInput = { name: name.trim(), kind };
    if (kind === 'email') input.emails = parseEmails(emails);
    else input.url = url.trim();
    if (kind === 'email' && input.emails?.length === 0) {
      setError('An email channel needs at least one address.');
      return;
    }
    if (kind !== 'email' && !input.url) {
      setError('Give the URL to send to.');
      return;
    }
    void run(async () => {
      const created = await createChannel(input);
      // The list never keeps a secret; it is shown once, here.
      const { secret: _s, ...listed } = created;
      onChange([...channels, listed].sort((a, b) => a.name.localeCompare(b.name)));
      showSecret(created);
      setName('');
      setUrl('');
      setEmails('');
    });
  };

  const replace = (c: Channel) => {
    const { secret: _s, ...listed } = c;
    onChange(channels.map((x) => (x.id === c.id ? listed : x)));
  };

  return (
    <section className="channels-panel" data-testid="channels">
      <h2>Notification channels</h2>
      {!canManage && <p className="list-note">Only owners and admins add or change channels.</p>}
      {error && (
        <div className="error-banner" role="alert" data-testid="channels-error">
          {error}
        </div>
      )}
      {secret && (
        <div className="new-key" role="status" data-testid="channel-secret">
          <p>
            Signing secret of “{secret.name}”. Copy it now into the receiver; it will not be shown again. Requests carry an
            HMAC-SHA256 signature made with it.
          </p>
          <code data-testid="channel-secret-value">{secret.secret}</code>{' '}
          <button
            type="button"
            data-testid="copy-secret"
            onClick={() => void navigator.clipboard?.writeText(secret.secret).then(() => setCopied(true))}
          >
            {copied ? 'Copied' : 'Copy'}
          </button>{' '}
          <button type="button" className="link-button" onClick={() => setSecret(null)}>
            Done
          </button>
        </div>
      )}
      {channels.length === 0 ? (
        <div className="facet-empty">No channels yet</div>
      ) : (
        <div className="table-scroll">
          <table className="keys-table" data-testid="channels-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Kind</th>
                <th>Sends to</th>
                <th>Enabled</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {channels.map((c) => (
                <tr key={c.id} data-testid="channel-row" data-kind={c.kind}>
                  <td>{c.name}</td>
                  <td>{KIND_LABELS[c.kind] ?? c.kind}</td>
                  <td className="channel-target">{c.kind === 'email' ? c.emails.join(', ') : <code>{c.url}</code>}</td>
                  <td>
                    {canManage ? (
                      <input
                        type="checkbox"
                        aria-label={`Enable ${c.name}`}
                        checked={c.enabled}
                        onChange={(e) => void run(async () => replace(await updateChannel(c.id, { enabled: e.target.checked })))}
                      />
                    ) : c.enabled ? (
                      'yes'
                    ) : (
                      'no'
                    )}
                  </td>
                  <td className="key-actions">
                    {tested[c.id] && <span className="list-note" data-testid="channel-test-result">{tested[c.id]} </span>}
                    {canManage && (
                      <>
                        <button
                          type="button"
                          data-testid="test-channel"
                          onClick={() =>
                            void run(async () => {
                              setTested((t) => ({ ...t, [c.id]: 'sending…' }));
                              try {
                                const r = await testChannel(c.id);
                                setTested((t) => ({ ...t, [c.id]: r.status ? `delivered (HTTP ${r.status})` : 'delivered' }));
                              } catch (e) {
                                setTested((t) => ({ ...t, [c.id]: 'failed' }));
                                throw e;
                              }
                            })
                          }
                        >
                          Send test
                        </button>{' '}
                        {c.kind === 'webhook' && (
                          <>
                            <button
                              type="button"
                              data-testid="rotate-secret"
                              onClick={() =>
                                void run(async () => {
                                  const updated = await rotateChannelSecret(c.id);
                                  replace(updated);
                                  showSecret(updated);
                                })
                              }
                            >
                              New secret
                            </button>{' '}
                          </>
                        )}
                        <button
                          type="button"
                          data-testid="delete-channel"
                          onClick={() => {
                            if (!window.confirm(`Delete the channel “${c.name}”? Rules stop sending to it.`)) return;
                            void run(async () => {
                              await deleteChannel(c.id);
                              onChange(channels.filter((x) => x.id !== c.id));
                            });
                          }}
                        >
                          Delete
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canManage && (
        <form className="inline-form" onSubmit={add} data-testid="channel-form">
          <input aria-label="Channel name" placeholder="Channel name" value={name} onChange={(e) => setName(e.target.value)} data-testid="channel-name" />
          <select aria-label="Kind" value={kind} onChange={(e) => setKind(e.target.value as ChannelKind)} data-testid="channel-kind">
            {(Object.keys(KIND_LABELS) as ChannelKind[]).map((k) => (
              <option key={k} value={k}>
                {KIND_LABELS[k]}
              </option>
            ))}
          </select>
          {kind === 'email' ? (
            <input
              aria-label="Email addresses"
              placeholder="ops@example.com, oncall@example.com"
              className="wide-input"
              value={emails}
              onChange={(e) => setEmails(e.target.value)}
              data-testid="channel-emails"
            />
          ) : (
            <input
              aria-label="URL"
              placeholder={kind === 'slack' ? 'https://hooks.slack.com/services/…' : 'https://example.com/devlogs-hook'}
              className="wide-input"
              value={url}
              onChange={(e) => setUrl(e.target.value)}
              data-testid="channel-url"
            />
          )}
          <button type="submit" data-testid="create-channel">
            Add channel
          </button>
        </form>
      )}
    </section>
  );
}

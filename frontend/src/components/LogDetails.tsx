import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { ContextResponse, LogEntry } from '../types';
import { ZonedTime } from '../timeZone';
import { errorMessage, getContext } from '../api';
import { LevelBadge } from './LevelBadge';

const FIELDS: Array<[keyof LogEntry, string]> = [
  ['id', 'id'],
  ['time', 'time'],
  ['received_at', 'received'],
  ['app', 'app'],
  ['level', 'level'],
  ['service', 'service'],
  ['host', 'host'],
  ['trace_id', 'trace id'],
  ['span_id', 'span id'],
];

function fieldText(entry: LogEntry, key: keyof LogEntry): ReactNode {
  const value = entry[key];
  if (value === undefined || value === null || value === '') return '—';
  if ((key === 'time' || key === 'received_at') && typeof value === 'string') {
    return <><ZonedTime iso={value} />{`  (${value})`}</>;
  }
  return String(value);
}

/** A small button that puts `text` on the clipboard and says "Copied" for a moment. */
export function CopyButton({ text, label = 'Copy', testId, title }: { text: string; label?: string; testId?: string; title?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
  const flash = (next: 'copied' | 'failed') => {
    setState(next);
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => setState('idle'), 1500);
  };
  const copy = () => {
    const clip = typeof navigator !== 'undefined' ? navigator.clipboard : undefined;
    if (!clip?.writeText) {
      flash('failed');
      return;
    }
    clip.writeText(text).then(
      () => flash('copied'),
      () => flash('failed'),
    );
  };
  return (
    <button type="button" className="copy-button link-button" data-testid={testId} data-state={state} title={title} onClick={copy}>
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : label}
    </button>
  );
}

/** Raw value of a field for the clipboard ('' when unset). */
function fieldValue(entry: LogEntry, key: keyof LogEntry): string {
  const value = entry[key];
  return value === undefined || value === null ? '' : String(value);
}

type ContextState =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'error'; message: string }
  | { kind: 'ready'; data: ContextResponse };

function ContextLine({ entry, current = false }: { entry: LogEntry; current?: boolean }) {
  return (
    <li className={`context-line${current ? ' current' : ''}`} data-testid="context-line" data-id={entry.id}>
      <span className="log-time"><ZonedTime iso={entry.time} /></span> <LevelBadge level={entry.level} />{' '}
      <span className="log-app">{entry.app}</span> <span className="context-message">{entry.message}</span>
    </li>
  );
}

/** "Show context": the lines just before and after this one from the same app. */
function EntryContext({ id, fetchContext }: { id: string; fetchContext: typeof getContext }) {
  const [state, setState] = useState<ContextState>({ kind: 'idle' });
  const load = () => {
    setState({ kind: 'loading' });
    fetchContext(id)
      .then((data) => setState({ kind: 'ready', data }))
      .catch((e) => setState({ kind: 'error', message: errorMessage(e) }));
  };
  if (state.kind === 'idle') {
    return (
      <button type="button" className="show-context" data-testid="show-context" onClick={load}>
        Show context
      </button>
    );
  }
  if (state.kind === 'loading') return <div className="loading">Loading context…</div>;
  if (state.kind === 'error') {
    return (
      <div className="error-banner" role="alert" data-testid="context-error">
        {state.message}
      </div>
    );
  }
  const { before, entry, after } = state.data;
  return (
    <ol className="context-lines" data-testid="context-lines">
      {before.map((e) => (
        <ContextLine key={e.id} entry={e} />
      ))}
      <ContextLine entry={entry} current />
      {after.map((e) => (
        <ContextLine key={e.id} entry={e} />
      ))}
    </ol>
  );
}

/** All fields of one entry plus its attributes as pretty-printed JSON. */
export function LogDetails({ entry, fetchContext = getContext }: { entry: LogEntry; fetchContext?: typeof getContext }) {
  return (
    <div className="log-details" data-testid="log-details">
      <div className="log-detail-actions">
        <CopyButton text={entry.message} label="Copy message" testId="copy-message" />
        <CopyButton text={JSON.stringify(entry, null, 2)} label="Copy JSON" testId="copy-json" />
      </div>
      <dl className="log-fields">
        {FIELDS.map(([key, label]) => (
          <div className="log-field" key={key} data-field={key}>
            <dt>{label}</dt>
            <dd>
              <span className="log-field-value">{fieldText(entry, key)}</span>
              {fieldValue(entry, key) !== '' && (
                <>
                  {' '}
                  <CopyButton text={fieldValue(entry, key)} testId="copy-field" title={`Copy ${label}`} />
                </>
              )}
            </dd>
          </div>
        ))}
      </dl>
      <div className="log-detail-block">
        <div className="log-detail-label">
          message <CopyButton text={entry.message} testId="copy-field" title="Copy message" />
        </div>
        <pre className="log-message-full" data-testid="log-message-full">
          {entry.message}
        </pre>
      </div>
      <div className="log-detail-block">
        <div className="log-detail-label">
          attributes{' '}
          <CopyButton text={JSON.stringify(entry.attributes ?? {}, null, 2)} testId="copy-attributes" title="Copy attributes as JSON" />
        </div>
        <pre className="log-attributes" data-testid="log-attributes">
          {JSON.stringify(entry.attributes ?? {}, null, 2)}
        </pre>
      </div>
      <div className="log-detail-block">
        <EntryContext id={entry.id} fetchContext={fetchContext} />
      </div>
    </div>
  );
}

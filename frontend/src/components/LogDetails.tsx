import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { ContextResponse, LogEntry } from '../types';
import { ZonedTime } from '../timeZone';
import { errorMessage, getContext } from '../api';
import { LevelBadge } from './LevelBadge';
import { Highlighted } from './Highlighted';
import { FilterButtons, flattenAttributes, type OnFilter } from './FilterButtons';

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

/** Fields the query language can filter on (`field:value`); ids and times cannot be. */
const FILTERABLE = new Set<keyof LogEntry>(['app', 'level', 'service', 'host', 'trace_id', 'span_id']);

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

/**
 * One line of the context. The context spans the app and host's lines, so each says its service
 * (and its app or host when they differ from the centre line's); messages keep their newlines.
 */
function ContextLine({
  entry,
  centre,
  current = false,
  highlight,
}: {
  entry: LogEntry;
  centre: LogEntry;
  current?: boolean;
  highlight: RegExp | null;
}) {
  return (
    <li className={`context-line${current ? ' current' : ''}`} data-testid="context-line" data-id={entry.id}>
      <span className="log-time"><ZonedTime iso={entry.time} /></span> <LevelBadge level={entry.level} />{' '}
      <span className="context-service" data-testid="context-service" title="service">
        {entry.service || '—'}
      </span>
      {entry.app !== centre.app && (
        <span className="context-source" title="app">
          {entry.app}
        </span>
      )}
      {entry.host !== centre.host && (
        <span className="context-source" title="host">
          {entry.host || '—'}
        </span>
      )}{' '}
      <span className="context-message">
        <Highlighted text={entry.message} regex={highlight} />
      </span>
    </li>
  );
}

/** "Show context": the lines just before and after this one from the same app. */
function EntryContext({
  id,
  fetchContext,
  highlight,
}: {
  id: string;
  fetchContext: typeof getContext;
  highlight: RegExp | null;
}) {
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
        <ContextLine key={e.id} entry={e} centre={entry} highlight={highlight} />
      ))}
      <ContextLine entry={entry} centre={entry} highlight={highlight} current />
      {after.map((e) => (
        <ContextLine key={e.id} entry={e} centre={entry} highlight={highlight} />
      ))}
    </ol>
  );
}

export interface LogDetailsProps {
  entry: LogEntry;
  fetchContext?: typeof getContext;
  /** Marks the query's matches in the message. */
  highlight?: RegExp | null;
  /** + / − beside each filterable field and attribute: adds `field:value` or `-field:value` to the query. */
  onFilter?: OnFilter;
}

/** All fields of one entry plus its attributes as pretty-printed JSON. */
export function LogDetails({ entry, fetchContext = getContext, highlight = null, onFilter }: LogDetailsProps) {
  const attributes = onFilter ? flattenAttributes(entry.attributes) : [];
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
              {onFilter && FILTERABLE.has(key) && fieldValue(entry, key) !== '' && (
                <FilterButtons field={key} value={fieldValue(entry, key)} onFilter={onFilter} />
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
          <Highlighted text={entry.message} regex={highlight} />
        </pre>
      </div>
      <div className="log-detail-block">
        <div className="log-detail-label">
          attributes{' '}
          <CopyButton text={JSON.stringify(entry.attributes ?? {}, null, 2)} testId="copy-attributes" title="Copy attributes as JSON" />
        </div>
        {attributes.length > 0 && (
          <dl className="log-fields attribute-fields" data-testid="attribute-fields">
            {attributes.map(([path, value]) => (
              <div className="log-field" key={path} data-field={path}>
                <dt title={path}>{path.slice('attributes.'.length)}</dt>
                <dd>
                  <span className="log-field-value">{value}</span>{' '}
                  <FilterButtons field={path} value={value} onFilter={onFilter!} />
                </dd>
              </div>
            ))}
          </dl>
        )}
        <pre className="log-attributes" data-testid="log-attributes">
          {JSON.stringify(entry.attributes ?? {}, null, 2)}
        </pre>
      </div>
      <div className="log-detail-block">
        <EntryContext id={entry.id} fetchContext={fetchContext} highlight={highlight} />
      </div>
    </div>
  );
}

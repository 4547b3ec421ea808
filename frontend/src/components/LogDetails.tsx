import type { LogEntry } from '../types';
import { formatLocalTime } from '../format';

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

function fieldText(entry: LogEntry, key: keyof LogEntry): string {
  const value = entry[key];
  if (value === undefined || value === null || value === '') return '—';
  if ((key === 'time' || key === 'received_at') && typeof value === 'string') {
    return `${formatLocalTime(value)}  (${value})`;
  }
  return String(value);
}

/** All fields of one entry plus its attributes as pretty-printed JSON. */
export function LogDetails({ entry }: { entry: LogEntry }) {
  return (
    <div className="log-details" data-testid="log-details">
      <dl className="log-fields">
        {FIELDS.map(([key, label]) => (
          <div className="log-field" key={key} data-field={key}>
            <dt>{label}</dt>
            <dd>{fieldText(entry, key)}</dd>
          </div>
        ))}
      </dl>
      <div className="log-detail-block">
        <div className="log-detail-label">message</div>
        <pre className="log-message-full" data-testid="log-message-full">
          {entry.message}
        </pre>
      </div>
      <div className="log-detail-block">
        <div className="log-detail-label">attributes</div>
        <pre className="log-attributes" data-testid="log-attributes">
          {JSON.stringify(entry.attributes ?? {}, null, 2)}
        </pre>
      </div>
    </div>
  );
}

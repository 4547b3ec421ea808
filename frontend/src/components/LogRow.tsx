import { useState } from 'react';
import type { LogEntry } from '../types';
import { formatLocalTime } from '../format';
import { LevelBadge } from './LevelBadge';
import { LogDetails } from './LogDetails';

export interface LogRowProps {
  entry: LogEntry;
  defaultExpanded?: boolean;
}

/** One log line; click to expand all fields. */
export function LogRow({ entry, defaultExpanded = false }: LogRowProps) {
  const [expanded, setExpanded] = useState(defaultExpanded);
  return (
    <li
      className={`log-row${expanded ? ' expanded' : ''}`}
      data-testid="log-row"
      data-id={entry.id}
      data-level={entry.level}
    >
      <button
        type="button"
        className="log-row-summary"
        aria-expanded={expanded}
        onClick={() => setExpanded((x) => !x)}
      >
        <time className="log-time" dateTime={entry.time} data-testid="log-time" title={entry.time}>
          {formatLocalTime(entry.time)}
        </time>
        <LevelBadge level={entry.level} />
        <span className="log-app" data-testid="log-app">
          {entry.app}
        </span>
        <span className="log-service" data-testid="log-service">
          {entry.service}
        </span>
        <span className="log-message" data-testid="log-message">
          {entry.message}
        </span>
      </button>
      {expanded && <LogDetails entry={entry} />}
    </li>
  );
}

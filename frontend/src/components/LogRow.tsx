import { useState, type CSSProperties, type Ref } from 'react';
import type { LogEntry } from '../types';
import { ZonedTime } from '../timeZone';
import { LevelBadge } from './LevelBadge';
import { LogDetails } from './LogDetails';

export interface LogRowProps {
  entry: LogEntry;
  defaultExpanded?: boolean;
  /** Controlled mode (the virtualised list keeps expansion across unmounts). */
  expanded?: boolean;
  onToggle?: (id: string) => void;
  /** Set by the virtualised list: measuring ref, index and position. */
  rowRef?: Ref<HTMLLIElement>;
  index?: number;
  style?: CSSProperties;
}

/** One log line; click to expand all fields. */
export function LogRow({ entry, defaultExpanded = false, expanded: controlled, onToggle, rowRef, index, style }: LogRowProps) {
  const [own, setOwn] = useState(defaultExpanded);
  const expanded = controlled ?? own;
  const toggle = () => (onToggle ? onToggle(entry.id) : setOwn((x) => !x));
  return (
    <li
      ref={rowRef}
      data-index={index}
      style={style}
      className={`log-row${expanded ? ' expanded' : ''}`}
      data-testid="log-row"
      data-id={entry.id}
      data-level={entry.level}
    >
      <button type="button" className="log-row-summary" aria-expanded={expanded} onClick={toggle}>
        <time className="log-time" dateTime={entry.time} data-testid="log-time" title={entry.time}>
          <ZonedTime iso={entry.time} />
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

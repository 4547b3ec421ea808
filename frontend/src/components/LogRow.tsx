import { memo, useState, type CSSProperties, type Ref } from 'react';
import type { LogEntry } from '../types';
import { ZonedTime } from '../timeZone';
import { LevelBadge } from './LevelBadge';
import { LogDetails } from './LogDetails';
import { Highlighted } from './Highlighted';
import type { OnFilter } from './FilterButtons';

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
  /** Set by the virtualised list instead of `style`: the row's offset (keeps memoised rows equal while scrolling). */
  start?: number;
  /** The list's one tab stop (roving tabindex); undefined outside a list: an ordinary button. */
  tabStop?: boolean;
  highlight?: RegExp | null;
  onFilter?: OnFilter;
}

/** One log line; click to expand all fields. */
export const LogRow = memo(function LogRow({
  entry,
  defaultExpanded = false,
  expanded: controlled,
  onToggle,
  rowRef,
  index,
  style,
  start,
  tabStop,
  highlight = null,
  onFilter,
}: LogRowProps) {
  const [own, setOwn] = useState(defaultExpanded);
  const expanded = controlled ?? own;
  const toggle = () => (onToggle ? onToggle(entry.id) : setOwn((x) => !x));
  const placed: CSSProperties | undefined =
    start === undefined ? style : { position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${start}px)` };
  return (
    <li
      ref={rowRef}
      data-index={index}
      style={placed}
      className={`log-row${expanded ? ' expanded' : ''}`}
      data-testid="log-row"
      data-id={entry.id}
      data-level={entry.level}
    >
      <button
        type="button"
        className="log-row-summary"
        aria-expanded={expanded}
        onClick={toggle}
        tabIndex={tabStop === undefined ? undefined : tabStop ? 0 : -1}
      >
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
          <Highlighted text={entry.message} regex={highlight} />
        </span>
      </button>
      {expanded && <LogDetails entry={entry} highlight={highlight} onFilter={onFilter} />}
    </li>
  );
});

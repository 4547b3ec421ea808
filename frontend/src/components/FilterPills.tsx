import { useMemo, useState } from 'react';
import { invertPart, invertedText, queryFilters, removePart } from '../query';

export interface FilterPillsProps {
  /** The applied query. */
  query: string;
  /** Runs a changed query (the explorer re-searches and writes the URL). */
  onChange: (q: string) => void;
}

/**
 * The query's `field:value` / `-field:value` terms as pills under the query bar. A pill can be
 * turned off (the term leaves the query but the pill stays, greyed, to turn back on: it is then
 * appended to the query), inverted, or removed. Terms that are not simple filters (words, OR,
 * groups) are left alone; they stay in the query text. Turned-off pills live only in this page.
 */
export function FilterPills({ query, onChange }: FilterPillsProps) {
  const [off, setOff] = useState<string[]>([]);
  const on = useMemo(() => queryFilters(query), [query]);
  // A turned-off term typed back in is simply on again.
  const shownOff = off.filter((t) => !on.some((f) => f.text === t));
  if (on.length === 0 && shownOff.length === 0) return null;

  const withoutOff = (text: string) => setOff((list) => list.filter((t) => t !== text));
  return (
    <ul className="filter-pills" aria-label="Active filters" data-testid="filter-pills">
      {on.map((f) => (
        <Pill
          key={`on:${f.start}:${f.text}`}
          text={f.text}
          negated={f.negated}
          enabled
          onToggle={() => {
            setOff((list) => [...list.filter((t) => t !== f.text), f.text]);
            onChange(removePart(query, f));
          }}
          onInvert={() => onChange(invertPart(query, f))}
          onRemove={() => onChange(removePart(query, f))}
        />
      ))}
      {shownOff.map((text) => {
        const negated = text.startsWith('-');
        return (
          <Pill
            key={`off:${text}`}
            text={text}
            negated={negated}
            enabled={false}
            onToggle={() => {
              withoutOff(text);
              onChange(`${query} ${text}`.trim());
            }}
            onInvert={() => setOff((list) => list.map((t) => (t === text ? invertedText({ text, negated }) : t)))}
            onRemove={() => withoutOff(text)}
          />
        );
      })}
    </ul>
  );
}

interface PillProps {
  text: string;
  negated: boolean;
  enabled: boolean;
  onToggle: () => void;
  onInvert: () => void;
  onRemove: () => void;
}

function Pill({ text, negated, enabled, onToggle, onInvert, onRemove }: PillProps) {
  const plain = negated ? text.slice(1) : text;
  return (
    <li
      className={`filter-pill${negated ? ' negated' : ''}${enabled ? '' : ' off'}`}
      data-testid="filter-pill"
      data-term={text}
      data-state={enabled ? 'on' : 'off'}
    >
      <button
        type="button"
        className="pill-toggle"
        data-testid="pill-toggle"
        aria-pressed={enabled}
        title={enabled ? 'Turn this filter off (keeps the pill)' : 'Turn this filter back on'}
        onClick={onToggle}
      >
        {negated && <span className="pill-not">NOT </span>}
        <code>{plain}</code>
      </button>
      <button
        type="button"
        className="pill-action"
        data-testid="pill-invert"
        aria-label={`Invert ${text}`}
        title={negated ? 'Include these lines instead' : 'Exclude these lines instead'}
        onClick={onInvert}
      >
        ⇄
      </button>
      <button type="button" className="pill-action" data-testid="pill-remove" aria-label={`Remove ${text}`} title="Remove" onClick={onRemove}>
        ×
      </button>
    </li>
  );
}


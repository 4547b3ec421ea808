import type { CSSProperties, ReactNode } from 'react';
import { getWidgetData } from '../../api';
import { useFetch } from '../../useFetch';
import type { WebSocketFactory } from '../../live';
import type { Widget, WidgetData } from '../../types';
import { LiveLogList } from './LiveLogList';
import { SingleNumber } from './SingleNumber';
import { TimeseriesChart } from './TimeseriesChart';
import { TopValuesTable } from './TopValuesTable';

export type RangeParam = { since: string; until: string };

const KIND_LABELS: Record<string, string> = {
  timeseries: 'Count over time',
  top_values: 'Top values',
  single_number: 'Count',
  log_list: 'Log lines',
};

export function widgetTitle(widget: Widget): string {
  if (widget.title) return widget.title;
  const what = widget.query || 'all lines';
  return widget.kind === 'top_values' ? `Top ${widget.split_by} — ${what}` : `${KIND_LABELS[widget.kind] ?? widget.kind} — ${what}`;
}

export interface WidgetCardProps {
  uid: string;
  widget: Widget;
  range: RangeParam;
  /** The range ends now: log lists follow the live tail. */
  live: boolean;
  tenant?: string;
  createSocket?: WebSocketFactory;
  /** The layout editor's controls, shown in the header. */
  controls?: ReactNode;
  style?: CSSProperties;
}

function Body({ widget, data, live, tenant, createSocket }: { widget: Widget; data: WidgetData; live: boolean; tenant?: string; createSocket?: WebSocketFactory }) {
  switch (data.kind) {
    case 'timeseries':
      return <TimeseriesChart data={data.data} since={data.since} until={data.until} splitBy={widget.split_by} />;
    case 'top_values':
      return <TopValuesTable data={data.data} />;
    case 'single_number':
      return <SingleNumber value={data.data.value} />;
    case 'log_list':
      return (
        <LiveLogList
          entries={data.data.entries}
          query={widget.query}
          live={live}
          limit={widget.options.limit ?? 50}
          tenant={tenant}
          createSocket={createSocket}
        />
      );
    default:
      return <div className="list-note">This kind of widget is not known to this dashboard version.</div>;
  }
}

/** One widget: its title, and its data for the dashboard's range from the widget-data endpoint. */
export function WidgetCard({ uid, widget, range, live, tenant, createSocket, controls, style }: WidgetCardProps) {
  const key = JSON.stringify([uid, widget.id, widget.kind, widget.query, widget.split_by, widget.options, range]);
  const state = useFetch((signal) => getWidgetData(uid, widget.id, range, { signal }), key);
  const data = state.data && state.data.kind === widget.kind ? state.data : null;
  const titleId = `widget-title-${uid}-${widget.id}`;
  return (
    <section
      className={`widget widget-${widget.kind}`}
      style={style}
      data-testid="widget"
      data-widget-id={widget.id}
      data-kind={widget.kind}
      data-x={widget.x}
      data-y={widget.y}
      data-w={widget.w}
      data-h={widget.h}
      aria-busy={state.loading}
    >
      <header className="widget-head">
        <h3 className="widget-title" id={titleId} title={widget.query}>
          {widgetTitle(widget)}
        </h3>
        {controls}
      </header>
      {/* Focusable: a small widget scrolls its body, and keyboard users must be able to scroll it too. */}
      <div className="widget-body" tabIndex={0} role="group" aria-labelledby={titleId}>
        {state.error && (
          <div className="error-banner" role="alert" data-testid="widget-error">
            {state.error}
          </div>
        )}
        {!data && state.loading && <div className="loading">Loading…</div>}
        {data && <Body widget={widget} data={data} live={live} tenant={tenant} createSocket={createSocket} />}
      </div>
    </section>
  );
}

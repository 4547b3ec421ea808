/** The widget editor's state, checks and JSON (dashboards/api.py validates the same). */
import type { Widget, WidgetInput, WidgetKind } from '../../types';

export const SPLIT_FIELDS = ['level', 'app', 'service', 'host'] as const;

export interface WidgetFormState {
  title: string;
  kind: WidgetKind;
  query: string;
  splitBy: string;
  /** top_values: values shown; log_list: lines shown; timeseries: series (when split). */
  limit: string;
  w: number;
  h: number;
}

export const KIND_CHOICES: Array<[WidgetKind, string]> = [
  ['timeseries', 'Count over time (chart)'],
  ['top_values', 'Top values (table)'],
  ['single_number', 'Single number'],
  ['log_list', 'Live log lines'],
];

const LIMITS: Record<WidgetKind, { option: 'limit' | 'series'; min: number; max: number; default: number } | null> = {
  timeseries: { option: 'series', min: 1, max: 10, default: 5 },
  top_values: { option: 'limit', min: 1, max: 100, default: 10 },
  single_number: null,
  log_list: { option: 'limit', min: 1, max: 200, default: 50 },
};

export function limitFor(kind: WidgetKind) {
  return LIMITS[kind];
}

export const EMPTY_WIDGET: WidgetFormState = { title: '', kind: 'timeseries', query: '', splitBy: '', limit: '', w: 6, h: 4 };

export function formFromWidget(widget: Widget): WidgetFormState {
  const spec = LIMITS[widget.kind];
  const limit = spec ? widget.options[spec.option] : undefined;
  return {
    title: widget.title,
    kind: widget.kind,
    query: widget.query,
    splitBy: widget.split_by,
    limit: typeof limit === 'number' ? String(limit) : '',
    w: widget.w,
    h: widget.h,
  };
}

export function splitAllowed(kind: WidgetKind): boolean {
  return kind === 'timeseries' || kind === 'top_values';
}

export type WidgetErrors = Partial<Record<'splitBy' | 'limit', string>>;

export function validateWidget(form: WidgetFormState): WidgetErrors {
  const errors: WidgetErrors = {};
  const split = form.splitBy.trim();
  if (form.kind === 'top_values' && !split) errors.splitBy = 'A top-values table needs the field to rank.';
  if (split && splitAllowed(form.kind) && !(SPLIT_FIELDS as readonly string[]).includes(split) && !/^(attributes|attr)\.\S+$/.test(split)) {
    errors.splitBy = `One of ${SPLIT_FIELDS.join(', ')} or attributes.<key>.`;
  }
  const spec = LIMITS[form.kind];
  if (spec && form.limit.trim() !== '') {
    const n = /^\s*\d+\s*$/.test(form.limit) ? Number(form.limit) : NaN;
    if (!(n >= spec.min && n <= spec.max)) errors.limit = `A whole number from ${spec.min} to ${spec.max}.`;
  }
  return errors;
}

/** JSON for POST …/widgets (with the size) and PATCH …/widgets/<id> (without: the layout editor moves it). */
export function widgetPayload(form: WidgetFormState, withSize: boolean): WidgetInput {
  const spec = LIMITS[form.kind];
  const options: WidgetInput['options'] = {};
  if (spec && form.limit.trim() !== '') options[spec.option] = Number(form.limit);
  const payload: WidgetInput = {
    title: form.title.trim(),
    kind: form.kind,
    query: form.query.trim(),
    split_by: splitAllowed(form.kind) ? form.splitBy.trim() : '',
    options,
  };
  if (withSize) {
    payload.w = form.w;
    payload.h = form.h;
  }
  return payload;
}

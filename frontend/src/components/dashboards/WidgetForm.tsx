import { useMemo, useState, type FormEvent } from 'react';
import { ApiError, createWidget, errorMessage, updateWidget } from '../../api';
import type { SuggestContext } from '../../suggest';
import type { Widget, WidgetKind } from '../../types';
import { QueryInput } from '../QueryBar';
import { MAX_HEIGHT, WIDTHS } from './layout';
import {
  EMPTY_WIDGET,
  KIND_CHOICES,
  SPLIT_FIELDS,
  formFromWidget,
  limitFor,
  splitAllowed,
  validateWidget,
  widgetPayload,
  type WidgetFormState,
} from './widgetForm';

export interface WidgetFormProps {
  uid: string;
  /** The widget being edited, or null for a new one. */
  widget: Widget | null;
  suggestions?: SuggestContext;
  onSaved: (widget: Widget) => void;
  onCancel: () => void;
}

/** Add a widget to the dashboard, or change one's title, kind, query, split and limit. */
export function WidgetForm({ uid, widget, suggestions, onSaved, onCancel }: WidgetFormProps) {
  const [form, setForm] = useState<WidgetFormState>(() => (widget ? formFromWidget(widget) : EMPTY_WIDGET));
  const [touched, setTouched] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const errors = useMemo(() => validateWidget(form), [form]);
  const set = (patch: Partial<WidgetFormState>) => {
    setForm((f) => ({ ...f, ...patch }));
    setError(null);
  };
  const spec = limitFor(form.kind);

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    setTouched(true);
    if (Object.keys(errors).length > 0) return;
    try {
      const saved = widget ? await updateWidget(uid, widget.id, widgetPayload(form, false)) : await createWidget(uid, widgetPayload(form, true));
      onSaved(saved);
    } catch (e) {
      setError(e instanceof ApiError && e.isForbidden ? `Not allowed: ${e.message}` : errorMessage(e));
    }
  };

  return (
    <form className="widget-form panel" onSubmit={submit} data-testid="widget-form" noValidate>
      <h3>{widget ? 'Edit widget' : 'Add a widget'}</h3>
      <div className="form-grid">
        <label htmlFor="widget-title">Title</label>
        <input id="widget-title" data-testid="widget-title" value={form.title} placeholder="(from the query)" onChange={(e) => set({ title: e.target.value })} />

        <label htmlFor="widget-kind">Shows</label>
        <select id="widget-kind" data-testid="widget-kind" value={form.kind} onChange={(e) => set({ kind: e.target.value as WidgetKind, limit: '' })}>
          {KIND_CHOICES.map(([k, label]) => (
            <option key={k} value={k}>
              {label}
            </option>
          ))}
        </select>

        <label htmlFor="widget-query">Query</label>
        <div className="query-bar">
          <QueryInput id="widget-query" testId="widget-query" value={form.query} onChange={(query) => set({ query })} suggestions={suggestions} placeholder="Lines to count, e.g. level:error (empty: every line)" />
        </div>

        {splitAllowed(form.kind) && (
          <>
            <label htmlFor="widget-split">{form.kind === 'top_values' ? 'Field' : 'Split by'}</label>
            <div>
              <input
                id="widget-split"
                list="widget-split-fields"
                data-testid="widget-split"
                placeholder={form.kind === 'top_values' ? 'service, host, attributes.<key>…' : '(optional) level, app, service…'}
                value={form.splitBy}
                aria-invalid={(touched && !!errors.splitBy) || undefined}
                onChange={(e) => set({ splitBy: e.target.value })}
              />
              <datalist id="widget-split-fields">
                {SPLIT_FIELDS.map((f) => (
                  <option key={f} value={f} />
                ))}
              </datalist>
              {touched && errors.splitBy && (
                <span className="field-error" role="alert" data-testid="widget-error-split">
                  {errors.splitBy}
                </span>
              )}
            </div>
          </>
        )}

        {spec && (
          <>
            <label htmlFor="widget-limit">{spec.option === 'series' ? 'Series (most frequent)' : form.kind === 'log_list' ? 'Lines' : 'Values'}</label>
            <div>
              <input
                id="widget-limit"
                type="number"
                className="small-number"
                min={spec.min}
                max={spec.max}
                placeholder={String(spec.default)}
                data-testid="widget-limit"
                value={form.limit}
                onChange={(e) => set({ limit: e.target.value })}
              />
              {touched && errors.limit && (
                <span className="field-error" role="alert">
                  {errors.limit}
                </span>
              )}
            </div>
          </>
        )}

        {!widget && (
          <>
            <label htmlFor="widget-width">Size</label>
            <div>
              <select id="widget-width" aria-label="Width" data-testid="widget-width" value={form.w} onChange={(e) => set({ w: Number(e.target.value) })}>
                {WIDTHS.map(([w, label]) => (
                  <option key={w} value={w}>
                    {label} wide
                  </option>
                ))}
              </select>{' '}
              <select aria-label="Height" data-testid="widget-height" value={form.h} onChange={(e) => set({ h: Number(e.target.value) })}>
                {Array.from({ length: MAX_HEIGHT - 1 }, (_, i) => i + 2).map((h) => (
                  <option key={h} value={h}>
                    {h} rows high
                  </option>
                ))}
              </select>
            </div>
          </>
        )}
      </div>
      {error && (
        <div className="error-banner" role="alert" data-testid="widget-form-error">
          {error}
        </div>
      )}
      <div className="form-actions">
        <button type="submit" className="primary-button" data-testid="widget-save">
          {widget ? 'Save widget' : 'Add widget'}
        </button>
        <button type="button" className="link-button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

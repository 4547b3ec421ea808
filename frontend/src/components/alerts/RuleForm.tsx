import { useMemo, useState, type FormEvent } from 'react';
import { ApiError, createRule, errorMessage, previewRule, updateRule } from '../../api';
import { formatCount } from '../../format';
import type { SuggestContext } from '../../suggest';
import type { AlertRule, Channel, RulePreview } from '../../types';
import { QueryInput } from '../QueryBar';
import {
  EMPTY_RULE,
  VALUE_FIELDS,
  formFromRule,
  rulePayload,
  validateRule,
  type RuleErrors,
  type RuleFormState,
  type Unit,
} from './ruleForm';

export interface RuleFormProps {
  /** The rule being edited, or null for a new one. */
  rule: AlertRule | null;
  channels: Channel[];
  suggestions?: SuggestContext;
  onSaved: (rule: AlertRule) => void;
  onCancel: () => void;
}

/** The server names window/interval by their JSON keys; the form shows them as amount + unit. */
const SERVER_FIELDS: Record<string, keyof RuleErrors | 'query'> = {
  name: 'name',
  threshold: 'threshold',
  field: 'field',
  window_seconds: 'window',
  interval_seconds: 'interval',
  query: 'query',
};

function UnitSelect({ value, onChange, label, testId }: { value: Unit; onChange: (u: Unit) => void; label: string; testId: string }) {
  return (
    <select aria-label={label} value={value} data-testid={testId} onChange={(e) => onChange(e.target.value as Unit)}>
      <option value="s">seconds</option>
      <option value="m">minutes</option>
      <option value="h">hours</option>
      <option value="d">days</option>
    </select>
  );
}

/** Create or edit an alert rule: query (with autocomplete), condition, window, schedule, channels; preview before saving. */
export function RuleForm({ rule, channels, suggestions, onSaved, onCancel }: RuleFormProps) {
  const [form, setForm] = useState<RuleFormState>(() => (rule ? formFromRule(rule) : EMPTY_RULE));
  const [touched, setTouched] = useState(false);
  const [serverError, setServerError] = useState<{ message: string; field: string | null } | null>(null);
  const [saving, setSaving] = useState(false);
  const [preview, setPreview] = useState<RulePreview | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);

  const errors = useMemo(() => validateRule(form), [form]);
  const shown: RuleErrors & { query?: string } = touched ? { ...errors } : {};
  if (serverError?.field && SERVER_FIELDS[serverError.field]) {
    shown[SERVER_FIELDS[serverError.field]] = serverError.message;
  }
  const set = (patch: Partial<RuleFormState>) => {
    setForm((f) => ({ ...f, ...patch }));
    setServerError(null);
  };

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    setTouched(true);
    if (Object.keys(errors).length > 0) return;
    setSaving(true);
    try {
      const payload = rulePayload(form);
      const saved = rule ? await updateRule(rule.id, payload) : await createRule(payload);
      onSaved(saved);
    } catch (e) {
      const message =
        e instanceof ApiError && e.isForbidden ? `Not allowed: ${e.message}` : errorMessage(e);
      setServerError({ message, field: e instanceof ApiError ? e.field : null });
    } finally {
      setSaving(false);
    }
  };

  const runPreview = async () => {
    setPreviewError(null);
    try {
      const { query, kind, comparison, threshold, field, window_seconds } = rulePayload(form);
      setPreview(await previewRule({ query, kind, comparison, threshold, field, window_seconds }));
    } catch (e) {
      setPreview(null);
      setPreviewError(errorMessage(e));
    }
  };

  const fieldError = (name: keyof typeof shown) =>
    shown[name] ? (
      <span className="field-error" role="alert" data-testid={`rule-error-${name}`}>
        {shown[name]}
      </span>
    ) : null;

  return (
    <form className="rule-form panel" onSubmit={submit} data-testid="rule-form" noValidate>
      <h3>{rule ? `Edit “${rule.name}”` : 'New alert rule'}</h3>
      <div className="form-grid">
        <label htmlFor="rule-name">Name</label>
        <div>
          <input id="rule-name" data-testid="rule-name" value={form.name} onChange={(e) => set({ name: e.target.value })} aria-invalid={!!shown.name || undefined} />
          {fieldError('name')}
        </div>

        <label htmlFor="rule-query">Query</label>
        <div className="query-bar rule-query">
          <QueryInput
            id="rule-query"
            testId="rule-query"
            value={form.query}
            onChange={(query) => set({ query })}
            suggestions={suggestions}
            invalid={!!shown.query}
            placeholder="Lines to watch, e.g. level:>=error app:web (empty: every line)"
          />
          {fieldError('query')}
        </div>

        <span className="form-label">Condition</span>
        <div className="rule-condition" role="radiogroup" aria-label="Condition">
          <label>
            <input type="radio" name="kind" value="count" checked={form.kind === 'count'} onChange={() => set({ kind: 'count' })} data-testid="rule-kind-count" /> Count is
          </label>{' '}
          <select
            aria-label="Comparison"
            data-testid="rule-comparison"
            value={form.comparison}
            disabled={form.kind !== 'count'}
            onChange={(e) => set({ comparison: e.target.value as RuleFormState['comparison'] })}
          >
            <option value="above">above</option>
            <option value="below">below</option>
          </select>{' '}
          <input
            type="number"
            min={0}
            className="small-number"
            aria-label="Threshold"
            data-testid="rule-threshold"
            value={form.threshold}
            disabled={form.kind !== 'count'}
            aria-invalid={!!shown.threshold || undefined}
            onChange={(e) => set({ threshold: e.target.value })}
          />
          {fieldError('threshold')}
          <br />
          <label>
            <input type="radio" name="kind" value="absence" checked={form.kind === 'absence'} onChange={() => set({ kind: 'absence' })} data-testid="rule-kind-absence" /> No matching lines (absence)
          </label>
          <br />
          <label>
            <input type="radio" name="kind" value="new_value" checked={form.kind === 'new_value'} onChange={() => set({ kind: 'new_value' })} data-testid="rule-kind-new_value" /> A new value of
          </label>{' '}
          <input
            list="rule-value-fields"
            aria-label="Field"
            data-testid="rule-field"
            placeholder="service, host, fingerprint, attributes.<key>…"
            value={form.field}
            disabled={form.kind !== 'new_value'}
            aria-invalid={!!shown.field || undefined}
            onChange={(e) => set({ field: e.target.value })}
          />
          <datalist id="rule-value-fields">
            {VALUE_FIELDS.map((f) => (
              <option key={f} value={f} />
            ))}
          </datalist>
          {fieldError('field')}
        </div>

        <label htmlFor="rule-window">In the last</label>
        <div>
          <input id="rule-window" type="number" min={1} className="small-number" data-testid="rule-window" value={form.window} onChange={(e) => set({ window: e.target.value })} aria-invalid={!!shown.window || undefined} />{' '}
          <UnitSelect label="Window unit" testId="rule-window-unit" value={form.windowUnit} onChange={(windowUnit) => set({ windowUnit })} />
          {fieldError('window')}
        </div>

        <label htmlFor="rule-interval">Check every</label>
        <div>
          <input id="rule-interval" type="number" min={1} className="small-number" data-testid="rule-interval" value={form.interval} onChange={(e) => set({ interval: e.target.value })} aria-invalid={!!shown.interval || undefined} />{' '}
          <UnitSelect label="Interval unit" testId="rule-interval-unit" value={form.intervalUnit} onChange={(intervalUnit) => set({ intervalUnit })} />
          {fieldError('interval')}
        </div>

        <span className="form-label">Notify</span>
        <div data-testid="rule-channels">
          {channels.length === 0 && <span className="list-note">No channels yet (owners and admins add them below); the rule still keeps its history.</span>}
          {channels.map((c) => (
            <label key={c.id} className="channel-choice">
              <input
                type="checkbox"
                data-testid="rule-channel"
                value={c.id}
                checked={form.channels.includes(c.id)}
                onChange={(e) =>
                  set({ channels: e.target.checked ? [...form.channels, c.id] : form.channels.filter((id) => id !== c.id) })
                }
              />{' '}
              {c.name} <span className="list-note">({c.kind})</span>
            </label>
          ))}
        </div>

        <label htmlFor="rule-description">Description</label>
        <textarea id="rule-description" rows={2} data-testid="rule-description" value={form.description} onChange={(e) => set({ description: e.target.value })} />

        <span className="form-label" />
        <label>
          <input type="checkbox" checked={form.enabled} data-testid="rule-enabled" onChange={(e) => set({ enabled: e.target.checked })} /> Enabled
        </label>
      </div>

      {serverError && !(serverError.field && SERVER_FIELDS[serverError.field]) && (
        <div className="error-banner" role="alert" data-testid="rule-form-error">
          {serverError.message}
        </div>
      )}
      {preview && (
        <div className="rule-preview" data-testid="rule-preview" role="status">
          Right now the window holds <strong>{formatCount(preview.count)}</strong> matching line{preview.count === 1 ? '' : 's'}
          {preview.would_fire === null ? '' : preview.would_fire ? ' — the rule would fire.' : ' — the rule would not fire.'}
          {preview.values.length > 0 && <> Values: {preview.values.slice(0, 10).join(', ')}</>}
        </div>
      )}
      {previewError && (
        <div className="error-banner" role="alert" data-testid="rule-preview-error">
          {previewError}
        </div>
      )}
      <div className="form-actions">
        <button type="submit" className="primary-button" data-testid="rule-save" disabled={saving}>
          {rule ? 'Save rule' : 'Create rule'}
        </button>
        <button type="button" data-testid="rule-preview-button" onClick={() => void runPreview()} disabled={Object.keys(errors).some((k) => k !== 'name')}>
          Preview
        </button>
        <button type="button" className="link-button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

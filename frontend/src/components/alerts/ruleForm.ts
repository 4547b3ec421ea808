/** The alert rule editor's state, its checks, and the JSON it sends (kept apart from React so tests read it plainly). */
import type { AlertRule, AlertRuleInput, Comparison, RuleKind } from '../../types';

export type Unit = 's' | 'm' | 'h' | 'd';
export const UNIT_SECONDS: Record<Unit, number> = { s: 1, m: 60, h: 3600, d: 86400 };

// The API's bounds (alerts/api.py): a window from 10 s to 7 days, checked every 10 s to 1 day.
export const WINDOW_BOUNDS = { min: 10, max: 7 * 86400 };
export const INTERVAL_BOUNDS = { min: 10, max: 86400 };

/** Fields a new_value rule can watch, besides `attributes.<key>`. */
export const VALUE_FIELDS = ['level', 'app', 'service', 'host', 'fingerprint'] as const;

export interface RuleFormState {
  name: string;
  description: string;
  query: string;
  kind: RuleKind;
  comparison: Comparison;
  threshold: string;
  field: string;
  window: string;
  windowUnit: Unit;
  interval: string;
  intervalUnit: Unit;
  channels: number[];
  enabled: boolean;
}

export const EMPTY_RULE: RuleFormState = {
  name: '',
  description: '',
  query: '',
  kind: 'count',
  comparison: 'above',
  threshold: '0',
  field: '',
  window: '5',
  windowUnit: 'm',
  interval: '1',
  intervalUnit: 'm',
  channels: [],
  enabled: true,
};

/** Seconds → the largest unit that divides them, for the form's number + unit inputs. */
export function splitSeconds(seconds: number): [string, Unit] {
  for (const unit of ['d', 'h', 'm'] as const) {
    if (seconds > 0 && seconds % UNIT_SECONDS[unit] === 0) return [String(seconds / UNIT_SECONDS[unit]), unit];
  }
  return [String(seconds), 's'];
}

export function formFromRule(rule: AlertRule): RuleFormState {
  const [window, windowUnit] = splitSeconds(rule.window_seconds);
  const [interval, intervalUnit] = splitSeconds(rule.interval_seconds);
  return {
    name: rule.name,
    description: rule.description,
    query: rule.query,
    kind: rule.kind,
    comparison: rule.comparison,
    threshold: String(rule.threshold),
    field: rule.field,
    window,
    windowUnit,
    interval,
    intervalUnit,
    channels: [...rule.channels],
    enabled: rule.enabled,
  };
}

function wholeNumber(text: string): number | null {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : null;
}

function seconds(amount: string, unit: Unit): number | null {
  const n = wholeNumber(amount);
  return n === null ? null : n * UNIT_SECONDS[unit];
}

export type RuleErrors = Partial<Record<'name' | 'threshold' | 'field' | 'window' | 'interval', string>>;

/** What the API would refuse, said before sending (the server still checks; its errors show too). */
export function validateRule(form: RuleFormState): RuleErrors {
  const errors: RuleErrors = {};
  if (!form.name.trim()) errors.name = 'Give the rule a name.';
  if (form.kind === 'count') {
    const t = wholeNumber(form.threshold);
    if (t === null) errors.threshold = 'The threshold is a whole number, 0 or more.';
    else if (form.comparison === 'below' && t < 1) errors.threshold = '“Below 0” can never happen: use 1 or more (or an absence rule).';
  }
  if (form.kind === 'new_value') {
    const f = form.field.trim();
    if (!f) errors.field = 'Choose the field whose new values to watch.';
    else if (!(VALUE_FIELDS as readonly string[]).includes(f) && !/^(attributes|attr)\.\S+$/.test(f)) {
      errors.field = `One of ${VALUE_FIELDS.join(', ')} or attributes.<key>.`;
    }
  }
  const w = seconds(form.window, form.windowUnit);
  if (w === null || w < WINDOW_BOUNDS.min || w > WINDOW_BOUNDS.max) errors.window = 'The window is 10 seconds to 7 days.';
  const i = seconds(form.interval, form.intervalUnit);
  if (i === null || i < INTERVAL_BOUNDS.min || i > INTERVAL_BOUNDS.max) errors.interval = 'Check every 10 seconds to 1 day.';
  return errors;
}

/** The JSON for POST /alerts/rules and PATCH /alerts/rules/<id>; only what the rule's kind uses. */
export function rulePayload(form: RuleFormState): AlertRuleInput {
  const payload: AlertRuleInput = {
    name: form.name.trim(),
    description: form.description.trim(),
    query: form.query.trim(),
    kind: form.kind,
    window_seconds: seconds(form.window, form.windowUnit) ?? 0,
    interval_seconds: seconds(form.interval, form.intervalUnit) ?? 0,
    channels: [...form.channels].sort((a, b) => a - b),
    enabled: form.enabled,
  };
  if (form.kind === 'count') {
    payload.comparison = form.comparison;
    payload.threshold = wholeNumber(form.threshold) ?? 0;
  }
  if (form.kind === 'new_value') payload.field = form.field.trim();
  return payload;
}

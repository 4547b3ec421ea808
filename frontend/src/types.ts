/** Shapes of the devlogs backend API (see the backend contract). */

export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type Level = (typeof LEVELS)[number];

export function isLevel(value: unknown): value is Level {
  return typeof value === 'string' && (LEVELS as readonly string[]).includes(value);
}

export interface LogEntry {
  id: string;
  time: string;
  received_at: string;
  app: string;
  /** One of LEVELS; kept as string so an unexpected value still renders. */
  level: string;
  message: string;
  service: string;
  host: string;
  trace_id: string;
  span_id: string;
  attributes: Record<string, unknown>;
}

export interface User {
  username: string;
}

export interface Tenant {
  slug: string;
  name: string;
  role?: string;
}

export interface TenantMembership extends Tenant {
  role: string;
}

export interface Me {
  user: User;
  tenant: Tenant;
  tenants: TenantMembership[];
}

export interface App {
  slug: string;
  name: string;
}

export interface AppsResponse {
  results: App[];
}

export interface LogsPage {
  results: LogEntry[];
  next_cursor: string | null;
}

export interface ApiErrorBody {
  error: {
    status: number;
    code: string;
    message: string;
    field?: string | null;
    position?: number;
    expected?: string;
  };
}

export interface HistogramBucket {
  time: string;
  level: string;
  count: number;
}

export interface HistogramResponse {
  interval: number;
  since: string;
  until: string;
  buckets: HistogramBucket[];
}

export interface FacetValue {
  value: string;
  count: number;
}

export interface FacetsResponse {
  facets: Record<string, FacetValue[]>;
}

/** GET /api/v1/logs/count: exact up to `bound`; past it `exact` is false and `count` is the bound. */
export interface CountResponse {
  count: number;
  exact: boolean;
  bound: number;
}

export interface ContextResponse {
  entry: LogEntry;
  before: LogEntry[];
  after: LogEntry[];
}

export interface SavedSearchOptions {
  range?: string;
  since?: string;
  until?: string;
  [key: string]: unknown;
}

export interface SavedSearch {
  id: number;
  name: string;
  query: string;
  options: SavedSearchOptions;
}

export interface SavedSearchInput {
  name: string;
  query: string;
  options: SavedSearchOptions;
}

export interface ApiKeyInfo {
  id: number;
  prefix: string;
  name: string;
  app: string;
  scopes: string[];
  created_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  active: boolean;
  lines_per_second?: number | null;
  /** Prefix of the key this one replaced (key rotation). */
  rotated_from?: string | null;
}

export interface RotatedKey extends ApiKeyInfo {
  /** The new key, shown once. */
  key: string;
  /** The old key, now expiring at `previous.expires_at`. */
  previous: ApiKeyInfo;
}

export interface Usage {
  tenant: string;
  day: string | null;
  lines: number | null;
  bytes: number | null;
  limits: { lines_per_second: number | null; bytes_per_day: number | null };
  bytes_remaining: number | null;
  /** False when the server cannot tell today's usage (e.g. its counter store is away). */
  available: boolean;
}

// --- alerts ---------------------------------------------------------------------------------------

export const RULE_STATES = ['ok', 'firing', 'resolved'] as const;
export type RuleState = (typeof RULE_STATES)[number];
export type RuleKind = 'count' | 'absence' | 'new_value';
export type Comparison = 'above' | 'below';

export interface AlertRule {
  id: number;
  name: string;
  description: string;
  query: string;
  kind: RuleKind;
  comparison: Comparison;
  threshold: number;
  field: string;
  window_seconds: number;
  interval_seconds: number;
  /** Channel ids. */
  channels: number[];
  enabled: boolean;
  muted_until: string | null;
  /** Human text of the condition, e.g. "count > 10". */
  condition: string;
  state: RuleState;
  state_changed_at: string | null;
  last_evaluated_at: string | null;
  last_count: number | null;
  last_error: string;
  next_evaluation_at: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface AlertRuleInput {
  name: string;
  description: string;
  query: string;
  kind: RuleKind;
  comparison?: Comparison;
  threshold?: number;
  field?: string;
  window_seconds: number;
  interval_seconds: number;
  channels: number[];
  enabled: boolean;
}

export interface RulePreview {
  since: string;
  until: string;
  count: number;
  would_fire: boolean | null;
  values: string[];
  samples: LogEntry[];
  url: string;
}

export interface Delivery {
  id: number;
  kind: 'firing' | 'resolved';
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  channel: { id: number; name: string; kind: ChannelKind };
  last_error: string;
  response_status: number | null;
  next_attempt_at: string | null;
  sent_at: string | null;
}

export interface AlertEvent {
  id: number;
  rule: { id: number; name: string };
  state: RuleState;
  previous_state: RuleState;
  episode: number;
  at: string;
  count: number;
  window: { since: string; until: string };
  query: string;
  condition: string;
  new_values: string[];
  samples: LogEntry[];
  muted: boolean;
  url: string;
  deliveries: Delivery[];
}

export interface AlertEventsPage {
  results: AlertEvent[];
  next_cursor: string | null;
}

export type ChannelKind = 'webhook' | 'email' | 'slack';

export interface Channel {
  id: number;
  name: string;
  kind: ChannelKind;
  /** Redacted to scheme and host for people who are not owners or admins. */
  url: string;
  emails: string[];
  /** Webhook signing secret; only in answers to owners and admins. */
  secret?: string;
  enabled: boolean;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface ChannelInput {
  name: string;
  kind: ChannelKind;
  url?: string;
  emails?: string[];
  enabled?: boolean;
}

// --- dashboards ------------------------------------------------------------------------------------

export type WidgetKind = 'timeseries' | 'top_values' | 'single_number' | 'log_list';

export interface Cell {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Widget extends Cell {
  id: number;
  title: string;
  kind: WidgetKind;
  query: string;
  split_by: string;
  options: { interval?: number; series?: number; limit?: number; [key: string]: unknown };
}

export type WidgetInput = Omit<Widget, 'id' | 'x' | 'y' | 'w' | 'h'> & Partial<Cell>;

/** The stored dashboard-wide range: a preset, or an absolute window. */
export type StoredRange = { range: string } | { since: string; until: string };

export interface DashboardSummary {
  uid: string;
  name: string;
  description: string;
  time_range: StoredRange;
  widget_count: number;
  url: string;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface Dashboard extends Omit<DashboardSummary, 'widget_count'> {
  widgets: Widget[];
}

export interface SeriesBucket {
  time: string;
  count: number;
}

export interface TimeseriesData {
  interval: number;
  series: Array<{ value: string | null; buckets: SeriesBucket[] }>;
  other: { buckets: SeriesBucket[] } | null;
}

export interface TopValuesData {
  field: string;
  values: FacetValue[];
  total: number;
}

export interface SingleNumberData {
  value: number;
}

export interface LogListData {
  entries: LogEntry[];
  next_cursor: string | null;
}

export type WidgetData =
  | { kind: 'timeseries'; since: string; until: string; data: TimeseriesData }
  | { kind: 'top_values'; since: string; until: string; data: TopValuesData }
  | { kind: 'single_number'; since: string; until: string; data: SingleNumberData }
  | { kind: 'log_list'; since: string; until: string; data: LogListData };

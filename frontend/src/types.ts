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
}

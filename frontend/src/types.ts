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
  };
}

/** Filters the user applies with the filter bar. Empty string = not set. */
export interface LogFilters {
  q: string;
  level: Level | '';
  app: string;
}

export const EMPTY_FILTERS: LogFilters = { q: '', level: '', app: '' };

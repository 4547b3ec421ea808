import { useEffect } from 'react';
import { getCsrfToken } from '../api';
import type { Theme } from '../theme';
import type { Me } from '../types';
import type { View } from '../urlState';

export interface HeaderProps {
  me: Me | null;
  theme?: Theme;
  onTheme?: (t: Theme) => void;
  /** Tenant switcher: called with the chosen slug. */
  onTenant?: (slug: string) => void;
  view?: View;
  onView?: (view: View) => void;
}

const TABS: Array<[View, string]> = [
  ['logs', 'Logs'],
  ['dashboards', 'Dashboards'],
  ['alerts', 'Alerts'],
  ['keys', 'Apps & keys'],
];

const VIEW_TITLES: Record<View, string> = {
  logs: 'Logs',
  dashboards: 'Dashboards',
  alerts: 'Alerts',
  keys: 'Apps and keys',
};

const MANAGER_ROLES = ['owner', 'admin'];
const WRITER_ROLES = ['owner', 'admin', 'member'];

export function canManage(me: Me | null): boolean {
  return !!me && MANAGER_ROLES.includes(me.tenant.role ?? roleIn(me) ?? '');
}

function roleIn(me: Me): string | undefined {
  return me.tenants.find((t) => t.slug === me.tenant.slug)?.role;
}

export function roleOf(me: Me | null): string {
  if (!me) return '';
  return me.tenant.role ?? roleIn(me) ?? '';
}

/** Members and up write saved searches, dashboards and alert rules; viewers only read. */
export function canWrite(me: Me | null): boolean {
  return WRITER_ROLES.includes(roleOf(me));
}

/** Brand, tenant (switcher), views, theme, user, sign out (POST, as Django's LogoutView requires) and admin link. */
export function Header({ me, theme = 'dark', onTheme, onTenant, view = 'logs', onView }: HeaderProps) {
  // The tab's name in the window title too, so tabs and history entries tell the views apart.
  useEffect(() => {
    if (me) document.title = `${VIEW_TITLES[view]} · devlogs`;
  }, [me, view]);
  return (
    <header className="app-header">
      <span className="brand" data-testid="brand">
        devlogs
      </span>
      {me && me.tenants.length > 1 && onTenant ? (
        <select
          className="tenant tenant-switcher"
          data-testid="tenant-switcher"
          aria-label="Tenant"
          value={me.tenant.slug}
          onChange={(e) => onTenant(e.target.value)}
        >
          {me.tenants.map((t) => (
            <option key={t.slug} value={t.slug}>
              {t.name}
            </option>
          ))}
        </select>
      ) : null}
      {me && (
        <span
          className={`tenant${me.tenants.length > 1 && onTenant ? ' visually-hidden' : ''}`}
          data-testid="tenant-name"
          title={me.tenant.slug}
        >
          {me.tenant.name}
        </span>
      )}
      {me && onView && (
        <nav className="view-tabs" aria-label="Views">
          {TABS.filter(([tab]) => tab !== 'keys' || canManage(me)).map(([tab, label]) => (
            <button
              key={tab}
              type="button"
              className={`tab${view === tab ? ' active' : ''}`}
              aria-current={view === tab ? 'page' : undefined}
              onClick={() => onView(tab)}
              data-testid={`tab-${tab}`}
            >
              {label}
            </button>
          ))}
        </nav>
      )}
      {/* One h1 per view for screen readers' heading navigation; the active tab shows it to everyone else. */}
      {me && <h1 className="visually-hidden" data-testid="page-title">{VIEW_TITLES[view]}</h1>}
      <span className="header-spacer" />
      {onTheme && (
        <button
          type="button"
          className="header-link link-button"
          data-testid="theme-toggle"
          aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
          onClick={() => onTheme(theme === 'dark' ? 'light' : 'dark')}
        >
          <span aria-hidden="true">{theme === 'dark' ? '☀' : '☾'}</span> {theme === 'dark' ? 'Light' : 'Dark'}
        </button>
      )}
      {me && (
        <>
          <span className="username" data-testid="username">
            {me.user.username}
          </span>
          <a className="header-link" href="/admin/" data-testid="admin-link">
            Admin
          </a>
          <form
            className="logout-form"
            method="post"
            action="/accounts/logout/"
            onSubmit={(e) => {
              // Re-read the cookie: the token may have rotated since render.
              const input = e.currentTarget.elements.namedItem('csrfmiddlewaretoken');
              if (input instanceof HTMLInputElement) input.value = getCsrfToken();
            }}
          >
            <input type="hidden" name="csrfmiddlewaretoken" value={getCsrfToken()} />
            <button type="submit" className="header-link link-button" data-testid="sign-out">
              Sign out
            </button>
          </form>
        </>
      )}
    </header>
  );
}

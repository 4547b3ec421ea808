import { getCsrfToken } from '../api';
import type { Me } from '../types';

/** Brand, tenant, user, sign out (POST, as Django's LogoutView requires) and admin link. */
export function Header({ me }: { me: Me | null }) {
  return (
    <header className="app-header">
      <span className="brand" data-testid="brand">
        devlogs
      </span>
      {me && (
        <span className="tenant" data-testid="tenant-name" title={me.tenant.slug}>
          {me.tenant.name}
        </span>
      )}
      <span className="header-spacer" />
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

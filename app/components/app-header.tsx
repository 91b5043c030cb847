import { Form, Link, NavLink } from '@remix-run/react';

type HeaderUser = { email: string; name: string; isAdmin: boolean } | null;

export function AppHeader({ user }: { user: HeaderUser }) {
  return (
    <header className="app-header">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <Link to="/" className="brand" aria-label="Truthline home">
        <span className="brand-mark" aria-hidden="true">
          ◧
        </span>{' '}
        Truthline
      </Link>
      {user ? (
        <nav aria-label="Main" className="main-nav">
          <NavLink to="/" end>
            Projects
          </NavLink>
          {user.isAdmin ? <NavLink to="/admin/users">Accounts</NavLink> : null}
          <NavLink to="/account">My account</NavLink>
          <span className="who" title={user.email}>
            {user.name || user.email}
          </span>
          <Form method="post" action="/logout">
            <button type="submit" className="link-button">
              Sign out
            </button>
          </Form>
        </nav>
      ) : null}
    </header>
  );
}

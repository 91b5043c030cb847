import { Link, useLocation } from '@remix-run/react';

/** Previous / next links that keep the current query (filters) and change only `page`. */
export function Pagination({ page, pages, param = 'page' }: { page: number; pages: number; param?: string }) {
  const { pathname, search } = useLocation();
  if (pages <= 1) return null;
  const to = (p: number) => {
    const q = new URLSearchParams(search);
    q.set(param, String(p));
    return `${pathname}?${q.toString()}`;
  };
  return (
    <nav className="row" aria-label="Pages" style={{ marginTop: '1rem' }}>
      {page > 1 ? (
        <Link to={to(page - 1)} rel="prev">
          ← Previous
        </Link>
      ) : (
        <span className="muted" aria-hidden="true">
          ← Previous
        </span>
      )}
      <span aria-current="page">
        Page {page} of {pages}
      </span>
      {page < pages ? (
        <Link to={to(page + 1)} rel="next">
          Next →
        </Link>
      ) : (
        <span className="muted" aria-hidden="true">
          Next →
        </span>
      )}
    </nav>
  );
}

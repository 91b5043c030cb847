import { NavLink } from '@remix-run/react';

type Role = 'reader' | 'adjudicator' | 'lead';

/** Project tabs: only what the member's roles can open (the server checks again). */
export function ProjectNav({ slug, roles }: { slug: string; roles: Role[] }) {
  const base = `/projects/${slug}`;
  const tabs: { to: string; label: string; show: boolean; end?: boolean }[] = [
    { to: base, label: 'Overview', show: true, end: true },
    { to: `${base}/read`, label: 'Read', show: roles.includes('reader') },
    { to: `${base}/adjudicate`, label: 'Adjudicate', show: roles.includes('adjudicator') || roles.includes('lead') },
    { to: `${base}/cases`, label: 'Cases', show: roles.includes('lead') },
    { to: `${base}/reviews`, label: 'Reviews', show: roles.includes('lead') },
    { to: `${base}/reports`, label: 'Reports', show: roles.includes('lead') },
    { to: `${base}/agreement`, label: 'Agreement', show: roles.includes('lead') },
    { to: `${base}/froc`, label: 'FROC', show: roles.includes('lead') },
    { to: `${base}/settings`, label: 'Setup', show: roles.includes('lead') },
    { to: `${base}/members`, label: 'Members', show: roles.includes('lead') },
    { to: `${base}/jobs`, label: 'Jobs', show: roles.includes('lead') },
    { to: `${base}/study`, label: 'Study', show: roles.includes('lead') },
    { to: `${base}/releases`, label: 'Releases', show: roles.includes('lead') },
  ];
  return (
    <nav className="project-nav" aria-label="Project">
      {tabs
        .filter((t) => t.show)
        .map((t) => (
          <NavLink key={t.to} to={t.to} end={t.end} prefetch="intent">
            {t.label}
          </NavLink>
        ))}
    </nav>
  );
}

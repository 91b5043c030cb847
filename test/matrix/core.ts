/** Core pages: shell, sign-in, accounts, project overview and members. */
import { all, adminOnly, leadOnly, member, signedIn, slug, type Spec } from './types.ts';

export const entries: Record<string, Spec> = {
  'root.tsx': { path: () => '/', loader: all('ok') },
  // Any unknown address: a 404 rendered inside the layout.
  '$.tsx': { path: () => '/no-such-page', loader: all('notfound') },
  '_index.tsx': { path: () => '/', loader: signedIn },
  'login.tsx': { path: () => '/login', loader: { ...all('ok') }, action: all('ok') },
  // Signing out sends everyone to the sign-in page.
  'logout.tsx': { path: () => '/logout', loader: all('ok'), action: all('login'), endsSession: true },
  'account.tsx': { path: () => '/account', loader: signedIn, action: signedIn },
  'admin.users.tsx': { path: () => '/admin/users', loader: adminOnly, action: adminOnly, form: () => ({ intent: 'create' }) },
  'projects.$slug._index.tsx': { path: (w) => `/projects/${w.project.slug}`, params: slug, loader: member },
  'projects.$slug.members.tsx': { path: (w) => `/projects/${w.project.slug}/members`, params: slug, loader: leadOnly, action: leadOnly, form: () => ({ intent: 'add' }) },
};

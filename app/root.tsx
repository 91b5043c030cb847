import type { LinksFunction, LoaderFunctionArgs } from '@remix-run/node';
import { json } from '@remix-run/node';
import { Links, Meta, Outlet, Scripts, ScrollRestoration, useLoaderData, useRouteLoaderData } from '@remix-run/react';
import styles from './styles.css';
import { getOptionalUser } from './auth.server.ts';
import { getFlash } from './flash.server.ts';
import { AppHeader } from './components/app-header.tsx';
import { FlashMessage } from './components/flash-message.tsx';
import { ErrorPage } from './components/error-page.tsx';
import { useNonce } from './lib/nonce.ts';

export const links: LinksFunction = () => [
  { rel: 'stylesheet', href: styles },
  { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' },
];

export async function loader({ request }: LoaderFunctionArgs) {
  // The root is public (sign-in renders inside it): it only reads who is signed in.
  const user = await getOptionalUser(request);
  const { flash, headers } = await getFlash(request);
  return json({ user: user ? { id: user.id, email: user.email, name: user.name, isAdmin: user.isAdmin } : null, flash }, { headers });
}

export function Layout({ children }: { children: React.ReactNode }) {
  const nonce = useNonce();
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  const { user, flash } = useLoaderData<typeof loader>();
  return (
    <>
      <AppHeader user={user} />
      <main id="main" className="page" tabIndex={-1}>
        {/* Always present, so a message that appears after a save (client navigation) is announced. */}
        <div role="status" aria-live="polite" aria-atomic="true" className="flash-region">
          {flash ? <FlashMessage flash={flash} /> : null}
        </div>
        <Outlet />
      </main>
    </>
  );
}

/** Failures of the root itself (its loader or layout): the header from whatever root data there is, then the error. */
export function ErrorBoundary() {
  const root = useRouteLoaderData<typeof loader>('root');
  return (
    <>
      <AppHeader user={root?.user ?? null} />
      <main id="main" className="page" tabIndex={-1}>
        <ErrorPage />
      </main>
    </>
  );
}

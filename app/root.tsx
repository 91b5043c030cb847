import type { LinksFunction, LoaderFunctionArgs } from '@remix-run/node';
import { json } from '@remix-run/node';
import {
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  isRouteErrorResponse,
  useLoaderData,
  useRouteError,
  useRouteLoaderData,
} from '@remix-run/react';
import styles from './styles.css';
import { getOptionalUser } from './auth.server.ts';
import { getFlash } from './flash.server.ts';
import { AppHeader } from './components/app-header.tsx';
import { FlashMessage } from './components/flash-message.tsx';
import { z } from 'zod';
import { useNonce } from './lib/nonce.ts';

// zod probes for eval (new Function) to compile fast parsers; under the CSP that probe is a
// violation report on every page. Interpreted parsing is plenty for forms.
z.config({ jitless: true });

export const links: LinksFunction = () => [
  { rel: 'stylesheet', href: styles },
  { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' },
];

export async function loader({ request }: LoaderFunctionArgs) {
  // The root is public (sign-in renders inside it): it only reads who is signed in.
  const user = await getOptionalUser(request);
  const { flash, headers } = await getFlash(request);
  return json(
    { user: user ? { id: user.id, email: user.email, name: user.name, isAdmin: user.isAdmin } : null, flash },
    { headers },
  );
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
      <main id="main" className="page">
        {flash ? <FlashMessage flash={flash} /> : null}
        <Outlet />
      </main>
    </>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  // The root loader still ran for errors thrown below it: keep the signed-in header.
  const root = useRouteLoaderData<typeof loader>('root');
  let title = 'Something went wrong';
  let detail = 'An unexpected error stopped this page. Nothing was changed. Try again, and if it keeps happening tell your administrator.';
  let status = 500;
  if (isRouteErrorResponse(error)) {
    status = error.status;
    if (status === 403) {
      title = 'You do not have access to this page';
      detail = typeof error.data === 'string' && error.data ? error.data : 'Your role in this project does not allow it. Ask the project lead if you need access.';
    } else if (status === 404) {
      title = 'Not found';
      detail = typeof error.data === 'string' && error.data ? error.data : 'There is nothing at this address, or it is not visible to you.';
    } else if (status === 400) {
      title = 'The request was not valid';
      detail = typeof error.data === 'string' ? error.data : detail;
    } else if (status === 409) {
      title = 'That change conflicts with the current state';
      detail = typeof error.data === 'string' ? error.data : detail;
    }
  }
  return (
    <>
      <AppHeader user={root?.user ?? null} />
      <main id="main" className="page">
        <section className="error-page" role="alert">
          <p className="error-code">Error {status}</p>
          <h1>{title}</h1>
          <p>{detail}</p>
          <p>
            <a href="/">Go to your projects</a>
          </p>
        </section>
      </main>
    </>
  );
}

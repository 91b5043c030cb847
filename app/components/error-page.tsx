/**
 * The one error page. Every route exports `ErrorBoundary` from here: an error in a page then
 * renders inside the signed-in layout (header, navigation) instead of replacing it.
 */
import { isRouteErrorResponse, useRouteError } from '@remix-run/react';

export function ErrorPage() {
  const error = useRouteError();
  let title = 'Something went wrong';
  let detail = 'An unexpected error stopped this page. Nothing was changed. Try again, and if it keeps happening tell your administrator.';
  let status = 500;
  if (isRouteErrorResponse(error)) {
    status = error.status;
    const text = typeof error.data === 'string' && error.data ? error.data : null;
    if (status === 403) {
      title = 'You do not have access to this page';
      detail = text ?? 'Your role in this project does not allow it. Ask the project lead if you need access.';
    } else if (status === 404) {
      title = 'Not found';
      detail = text ?? 'There is nothing at this address, or it is not visible to you.';
    } else if (status === 400) {
      title = 'The request was not valid';
      detail = text ?? detail;
    } else if (status === 409) {
      title = 'That change conflicts with the current state';
      detail = text ?? detail;
    } else if (status === 503) {
      title = 'Temporarily unavailable';
      detail = text ?? 'The server cannot do this right now. Try again in a moment.';
    }
  }
  return (
    <section className="error-page" role="alert">
      <p className="error-code">Error {status}</p>
      <h1>{title}</h1>
      <p>{detail}</p>
      <p>
        <a href="/">Go to your projects</a>
      </p>
    </section>
  );
}

export { ErrorPage as ErrorBoundary };

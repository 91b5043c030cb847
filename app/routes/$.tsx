/** Any address no other route claims: a 404 inside the layout, so the signed-in header stays. */
import { notFound } from '~/lib/http.server.ts';

export async function loader() {
  return notFound();
}

export { ErrorBoundary } from '~/components/error-page.tsx';

export default function NoSuchPage() {
  return null;
}

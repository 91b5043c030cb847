import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { redirect } from '@remix-run/node';
import { signOut } from '~/auth.server.ts';

export async function loader({ request }: LoaderFunctionArgs) {
  // Signing out is a POST (a GET could be triggered by any page); this only sends people home.
  void request;
  return redirect('/');
}

export async function action({ request }: ActionFunctionArgs) {
  // Signing out needs no session check: ending a session that does not exist is harmless.
  const headers = await signOut(request);
  return redirect('/login', { headers });
}

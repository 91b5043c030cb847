/**
 * API authentication: `Authorization: Bearer tl_…` → the token's owner. Project access is the
 * person's roles in the project (exactly as in the UI), and only for projects in the token's
 * scope. No session cookies here: the API never acts on a browser session, so it needs no CSRF
 * defence beyond the token.
 */
import { findProjectWithRoles, type findProject, type ProjectRole } from '../permissions.server.ts';
import { authenticateToken, type TokenIdentity } from '../models/tokens.server.ts';
import { ApiError } from './http.server.ts';

export type ApiUser = TokenIdentity['user'];
export type ApiIdentity = { user: ApiUser; tokenId: string; projectIds: string[] };

function bearer(request: Request): string | null {
  const h = request.headers.get('Authorization');
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : null;
}

/** 401 JSON unless the request carries a valid, unrevoked token of an active account. */
export async function requireApiUser(request: Request): Promise<ApiIdentity> {
  const token = bearer(request);
  if (!token) throw new ApiError('unauthorized', 'Send a personal access token: Authorization: Bearer <token>. Create one under My account → API tokens.');
  const id = await authenticateToken({ token });
  if (!id) throw new ApiError('unauthorized', 'This token is not valid: it is unknown, revoked, or its account is deactivated.');
  if (id.user.mustChangePassword) {
    throw new ApiError('forbidden', 'This account still has its one-time password: sign in to the web app and choose your own password first.', {
      reason: 'password_change_required',
    });
  }
  return { user: id.user, tokenId: id.tokenId, projectIds: id.projectIds };
}

export type ApiProjectAccess = ApiIdentity & {
  project: NonNullable<Awaited<ReturnType<typeof findProject>>>;
  roles: ProjectRole[];
};

/**
 * 401 (no/invalid token), 404 (no such project, or not a member — names do not leak),
 * 403 `token_out_of_scope` (a member, but the token was not issued for this project),
 * 403 `forbidden` (a member without any of the roles).
 */
export async function requireApiProjectRole(request: Request, projectRef: string | undefined, role: ProjectRole | ProjectRole[]): Promise<ApiProjectAccess> {
  const identity = await requireApiUser(request);
  const found = projectRef ? await findProjectWithRoles({ ref: projectRef, userId: identity.user.id }) : null;
  const notFound = new ApiError('not_found', 'There is no such project, or you are not a member of it.');
  if (!found) throw notFound;
  const { project, roles } = found;
  if (roles.length === 0) throw notFound;
  if (!identity.projectIds.includes(project.id)) {
    throw new ApiError('token_out_of_scope', `This token is not valid for project "${project.slug}". Create a token that includes it.`);
  }
  const wanted = Array.isArray(role) ? role : [role];
  if (!wanted.some((r) => roles.includes(r))) {
    throw new ApiError('forbidden', `This endpoint is for the project's ${wanted.join(' or ')}s. Your role here: ${roles.join(', ')}.`, { required: wanted, roles });
  }
  return { ...identity, project, roles };
}

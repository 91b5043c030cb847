/**
 * Personal access tokens for the HTTP API. The token (`tl_` + 32 random bytes, base64url) is
 * returned once at creation; only its SHA-256 is stored. A token acts as its owner, with the
 * owner's current roles, but only in the projects it is scoped to.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, inArray, isNull } from 'drizzle-orm';
import { getDb } from '../../db/index.ts';
import { writeAudit } from '../../db/audit.ts';
import { apiTokens, projectMembers, projects, users } from '../../db/schema.ts';
import { AppError } from '../../domain/errors.ts';
import { isUuid } from '../../domain/vocabulary.ts';

export const TOKEN_PREFIX = 'tl_';
const TOKEN_RE = /^tl_[A-Za-z0-9_-]{43}$/;
/** last_used_at is written at most this often per token (it is not an audit log). */
const LAST_USED_GRANULARITY_MS = 60_000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export type TokenSummary = {
  id: string;
  name: string;
  projects: { id: string; slug: string; name: string }[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
};

/**
 * Creates a token for a user, scoped to projects given by slug or id. The user must be a member
 * of every one of them. Returns the token itself: it is not stored and cannot be shown again.
 */
export async function createToken(args: {
  userId: string;
  name: string;
  projects: string[];
  actorId?: string | null;
  ip?: string | null;
}): Promise<{ id: string; token: string; projects: { id: string; slug: string }[] }> {
  const name = args.name.trim();
  if (!name || name.length > 100) throw new AppError('invalid', 'Give the token a name of 1–100 characters.', { field: 'name' });
  const refs = [...new Set(args.projects.map((p) => p.trim()).filter(Boolean))];
  if (!refs.length) throw new AppError('invalid', 'Choose at least one project.', { field: 'projects' });
  const db = getDb();
  const memberOf = await db
    .selectDistinct({ id: projects.id, slug: projects.slug })
    .from(projectMembers)
    .innerJoin(projects, eq(projects.id, projectMembers.projectId))
    .where(eq(projectMembers.userId, args.userId));
  const scope: { id: string; slug: string }[] = [];
  for (const ref of refs) {
    const p = memberOf.find((m) => m.slug === ref || m.id === ref);
    if (!p) throw new AppError('invalid', `There is no project "${ref}" that you are a member of.`);
    if (!scope.some((s) => s.id === p.id)) scope.push(p);
  }
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const id = await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiTokens)
      .values({ userId: args.userId, name, tokenHash: hashToken(token), projectIds: scope.map((s) => s.id) })
      .returning({ id: apiTokens.id });
    await writeAudit(tx, {
      actorId: args.actorId === undefined ? args.userId : args.actorId,
      action: 'api_token.create',
      target: row.id,
      ip: args.ip ?? null,
      details: { userId: args.userId, name, projects: scope.map((s) => s.slug) },
    });
    return row.id;
  });
  return { id, token, projects: scope };
}

export async function listTokens({ userId }: { userId: string }): Promise<TokenSummary[]> {
  const db = getDb();
  const rows = await db.select().from(apiTokens).where(eq(apiTokens.userId, userId)).orderBy(desc(apiTokens.createdAt));
  const ids = [...new Set(rows.flatMap((r) => r.projectIds))];
  const ps = ids.length ? await db.select({ id: projects.id, slug: projects.slug, name: projects.name }).from(projects).where(inArray(projects.id, ids)) : [];
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    projects: r.projectIds.map((pid) => ps.find((p) => p.id === pid)).filter((p): p is (typeof ps)[number] => Boolean(p)),
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt,
    revokedAt: r.revokedAt,
  }));
}

/** Revokes one of the user's own tokens; false when there is no such (unrevoked) token of theirs. */
export async function revokeToken({ userId, tokenId, ip }: { userId: string; tokenId: string; ip?: string | null }): Promise<boolean> {
  if (!isUuid(tokenId)) return false;
  return getDb().transaction(async (tx) => {
    const rows = await tx
      .update(apiTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
      .returning({ id: apiTokens.id });
    if (!rows.length) return false;
    await writeAudit(tx, { actorId: userId, action: 'api_token.revoke', target: tokenId, ip: ip ?? null });
    return true;
  });
}

export type TokenIdentity = {
  tokenId: string;
  projectIds: string[];
  user: { id: string; email: string; name: string; isAdmin: boolean; mustChangePassword: boolean };
};

/**
 * The identity behind a presented token, or null (malformed, unknown, revoked, or its owner is
 * deactivated). Records the time of use.
 */
export async function authenticateToken({ token, now = new Date() }: { token: string; now?: Date }): Promise<TokenIdentity | null> {
  if (!TOKEN_RE.test(token)) return null;
  const db = getDb();
  const [row] = await db
    .select({ t: apiTokens, u: { id: users.id, email: users.email, name: users.name, isAdmin: users.isAdmin, mustChangePassword: users.mustChangePassword, active: users.active } })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, hashToken(token)));
  if (!row || row.t.revokedAt || !row.u.active) return null;
  if (!row.t.lastUsedAt || now.getTime() - row.t.lastUsedAt.getTime() >= LAST_USED_GRANULARITY_MS) {
    await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.t.id));
  }
  return {
    tokenId: row.t.id,
    projectIds: row.t.projectIds,
    user: { id: row.u.id, email: row.u.email, name: row.u.name, isAdmin: row.u.isAdmin, mustChangePassword: row.u.mustChangePassword },
  };
}

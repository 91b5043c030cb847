import { asc, eq } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { getDb } from '../../db/index.ts';
import { users } from '../../db/schema.ts';
import { generatePassword, hashPassword } from '../../db/password.ts';
import { writeAudit } from '../../db/audit.ts';
import { AppError } from '../../domain/errors.ts';

/** Creates an account with a one-time password (returned once, stored only hashed). */
export async function createUser({
  email,
  name,
  isAdmin,
  canCreateProjects,
  actorId,
  ip,
}: {
  email: string;
  name?: string;
  isAdmin?: boolean;
  canCreateProjects?: boolean;
  actorId?: string | null;
  ip?: string;
}) {
  const db = getDb();
  const normalized = email.trim().toLowerCase();
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  const id = randomUUID();
  return db.transaction(async (tx) => {
    const [existing] = await tx.select({ id: users.id }).from(users).where(eq(users.email, normalized));
    if (existing) throw new AppError('conflict', `An account with the email ${normalized} already exists.`, { field: 'email' });
    await tx
      .insert(users)
      .values({ id, email: normalized, name: name ?? '', passwordHash, isAdmin: Boolean(isAdmin), canCreateProjects: Boolean(canCreateProjects), mustChangePassword: true });
    await writeAudit(tx, {
      actorId: actorId ?? null,
      action: 'user.create',
      target: id,
      ip,
      details: { email: normalized, isAdmin: Boolean(isAdmin), canCreateProjects: Boolean(canCreateProjects) },
    });
    return { id, email: normalized, password };
  });
}

export async function listUsers() {
  return getDb()
    .select({
      id: users.id,
      email: users.email,
      name: users.name,
      isAdmin: users.isAdmin,
      canCreateProjects: users.canCreateProjects,
      active: users.active,
      createdAt: users.createdAt,
    })
    .from(users)
    .orderBy(asc(users.email));
}

export async function setUserActive({ userId, active, actorId, ip }: { userId: string; active: boolean; actorId: string; ip?: string }) {
  const db = getDb();
  await db.transaction(async (tx) => {
    await tx.update(users).set({ active }).where(eq(users.id, userId));
    await writeAudit(tx, { actorId, action: active ? 'user.reactivate' : 'user.deactivate', target: userId, ip });
  });
}

/** Grants or withdraws the right to create projects (an account-level flag beside project roles). */
export async function setProjectCreator({ userId, allowed, actorId, ip }: { userId: string; allowed: boolean; actorId: string; ip?: string }) {
  const db = getDb();
  await db.transaction(async (tx) => {
    await tx.update(users).set({ canCreateProjects: allowed }).where(eq(users.id, userId));
    await writeAudit(tx, { actorId, action: allowed ? 'user.grant_project_creator' : 'user.revoke_project_creator', target: userId, ip });
  });
}

export async function resetPassword({ userId, actorId, ip }: { userId: string; actorId: string; ip?: string }) {
  const db = getDb();
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  await db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash, mustChangePassword: true, passwordChangedAt: new Date() }).where(eq(users.id, userId));
    await writeAudit(tx, { actorId, action: 'user.reset_password', target: userId, ip });
  });
  return { password };
}

export async function getUser({ userId }: { userId: string }) {
  const [u] = await getDb().select().from(users).where(eq(users.id, userId));
  return u ?? null;
}

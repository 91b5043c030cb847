import { and, eq } from 'drizzle-orm';
import { getDb } from '../../db/index.ts';
import { projectMembers, users } from '../../db/schema.ts';
import { writeAudit } from '../../db/audit.ts';
import { AppError } from '../../domain/errors.ts';
import type { ProjectRole } from '../permissions.server.ts';

export async function listMembers({ projectId }: { projectId: string }) {
  const rows = await getDb()
    .select({ userId: users.id, name: users.name, email: users.email, active: users.active, role: projectMembers.role })
    .from(projectMembers)
    .innerJoin(users, eq(users.id, projectMembers.userId))
    .where(eq(projectMembers.projectId, projectId))
    .orderBy(users.email);
  const byUser = new Map<string, { userId: string; name: string; email: string; active: boolean; roles: ProjectRole[] }>();
  for (const r of rows) {
    const m = byUser.get(r.userId) ?? { userId: r.userId, name: r.name, email: r.email, active: r.active, roles: [] };
    m.roles.push(r.role);
    byUser.set(r.userId, m);
  }
  return [...byUser.values()];
}

export async function addMemberRole({ projectId, email, role, actorId }: { projectId: string; email: string; role: ProjectRole; actorId: string }) {
  const db = getDb();
  return db.transaction(async (tx) => {
    const [u] = await tx.select().from(users).where(eq(users.email, email.toLowerCase()));
    if (!u) throw new AppError('invalid', `No account has the email ${email}. Ask an administrator to create it first.`);
    const [exists] = await tx
      .select()
      .from(projectMembers)
      .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, u.id), eq(projectMembers.role, role)));
    if (exists) throw new AppError('conflict', `${u.email} is already a ${role} in this project.`);
    await tx.insert(projectMembers).values({ projectId, userId: u.id, role });
    await writeAudit(tx, { actorId, action: 'member.add', projectId, target: u.id, details: { role } });
    return u;
  });
}

export async function removeMemberRole({ projectId, userId, role, actorId }: { projectId: string; userId: string; role: ProjectRole; actorId: string }) {
  const db = getDb();
  await db.transaction(async (tx) => {
    if (role === 'lead') {
      const leads = await tx
        .select()
        .from(projectMembers)
        .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.role, 'lead')));
      if (leads.length <= 1 && leads[0]?.userId === userId) throw new AppError('refused', 'A project needs at least one lead: add another lead first.');
    }
    await tx.delete(projectMembers).where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId), eq(projectMembers.role, role)));
    await writeAudit(tx, { actorId, action: 'member.remove', projectId, target: userId, details: { role } });
  });
}

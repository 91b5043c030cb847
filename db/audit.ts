import type { Tx } from './client.ts';
import { auditLog } from './schema.ts';

export type AuditEntry = {
  actorId?: string | null;
  action: string;
  projectId?: string | null;
  caseId?: string | null;
  target?: string | null;
  ip?: string | null;
  reason?: string | null;
  details?: Record<string, unknown>;
};

/** Call inside the transaction that makes the change, so the change and its audit row land together. */
export async function writeAudit(tx: Tx, entry: AuditEntry): Promise<void> {
  await tx.insert(auditLog).values({ ...entry, details: entry.details ?? {} });
}

/**
 * Project setup: create a project (with a first version from a template and the creator as lead),
 * and versions of its definition — reader form, reference standard, mapping, truth policy —
 * validated with the zod schemas of workflows/definition.ts plus the cross-part checks of
 * workflows/definition-check.ts (which include the policy checks the runtime applies).
 *
 * Versions (DESIGN.md): cases stay pinned to the version they started on; a change of substance
 * is a NEW version (new imports start on it). A version's descriptions (labels, help texts,
 * option descriptions, the note) may be edited in place; anything else in place only while no
 * case is pinned to it — the started workflows carry the definition in their first event, so
 * editing it under them would make the database and the chain disagree.
 */
import { and, count, desc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { getDb } from '../../db/index.ts';
import { writeAudit } from '../../db/audit.ts';
import { cases, projectMembers, projects, projectVersions, reads, users } from '../../db/schema.ts';
import { mammographyDefinition, pneumothoraxDefinition } from '../../seed/demo-projects.ts';
import { checkDefinition } from '../../workflows/definition-check.ts';
import { BLANK_DEFINITION } from '../../workflows/definition-blank.ts';
import { canonicalJson } from '../../workflows/canonical-json.ts';
import { AppError } from '../../domain/errors.ts';
import {
  mappingSchema,
  projectDefinitionSchema,
  readerFormSchema,
  referenceStandardSchema,
  studySchema,
  truthPolicySchema,
  type ProjectDefinition,
  type StudyDesign,
} from '../../workflows/definition.ts';

export const PARTS = ['readerForm', 'referenceStandard', 'mapping', 'truthPolicy'] as const;
export type Part = (typeof PARTS)[number];
const SCHEMAS = { readerForm: readerFormSchema, referenceStandard: referenceStandardSchema, mapping: mappingSchema, truthPolicy: truthPolicySchema };
export { PART_LABEL } from '../forms/lead.ts';

export const TEMPLATE_DEFINITIONS: Record<'binary_panel' | 'birads_evidence' | 'blank', { label: string; definition: ProjectDefinition }> = {
  binary_panel: { label: 'Yes/no finding, the reader panel is the truth (e.g. pneumothorax)', definition: pneumothoraxDefinition },
  birads_evidence: { label: 'BI-RADS per breast, truth from pathology and follow-up', definition: mammographyDefinition },
  blank: { label: 'Blank: one yes/no question, to build your own form in the definition editor', definition: BLANK_DEFINITION },
};

/** Validates the four JSON texts; errors per part, each naming the JSON path. */
export function parseDefinition(texts: Record<Part, string>): { ok: true; definition: ProjectDefinition } | { ok: false; errors: Record<string, string[]> } {
  const errors: Record<string, string[]> = {};
  const parsed: Partial<Record<Part, unknown>> = {};
  for (const part of PARTS) {
    let raw: unknown;
    try {
      raw = JSON.parse(texts[part]);
    } catch (e) {
      errors[part] = [`Not valid JSON: ${(e as Error).message}`];
      continue;
    }
    const r = SCHEMAS[part].safeParse(raw);
    if (!r.success) {
      errors[part] = r.error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`);
      continue;
    }
    parsed[part] = r.data;
  }
  if (Object.keys(errors).length) return { ok: false, errors };
  const def = projectDefinitionSchema.parse(parsed);
  for (const p of checkDefinition(def)) {
    const rest = p.path.slice(1).join('.');
    (errors[String(p.path[0])] ??= []).push(rest ? `${rest}: ${p.message}` : p.message);
  }
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, definition: def };
}

/**
 * The study design's JSON text from the settings page: undefined (the field was not posted) keeps
 * the stored design, empty removes it, anything else must be a valid design (errors by JSON path).
 */
export function parseStudy(text: string | undefined): { ok: true; study: StudyDesign | null | undefined } | { ok: false; errors: string[] } {
  if (text === undefined) return { ok: true, study: undefined };
  if (text.trim() === '' || text.trim() === 'null') return { ok: true, study: null };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, errors: [`Not valid JSON: ${(e as Error).message}`] };
  }
  const r = studySchema.safeParse(raw);
  if (!r.success) return { ok: false, errors: r.error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`) };
  return { ok: true, study: r.data };
}

/** The definition with every description-like text removed: what must not change in place. */
export function structureOf(def: ProjectDefinition): unknown {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (!['label', 'help', 'description', 'trueLabel', 'falseLabel', 'positiveLabel', 'negativeLabel'].includes(k)) out[k] = strip(x);
      return out;
    }
    return v;
  };
  return strip(def);
}

export async function createProject(args: {
  name: string;
  slug: string;
  description: string;
  licence: string;
  template: keyof typeof TEMPLATE_DEFINITIONS;
  actorId: string;
  ip?: string | null;
  db?: Db;
}) {
  const d = args.db ?? getDb();
  if (args.slug === 'new') throw new AppError('invalid', '"new" is reserved: choose another address.', { field: 'slug' });
  const [exists] = await d.select({ id: projects.id }).from(projects).where(eq(projects.slug, args.slug));
  if (exists) throw new AppError('conflict', `The address "${args.slug}" is taken: choose another.`, { field: 'slug' });
  return d.transaction(async (tx) => {
    const [p] = await tx.insert(projects).values({ slug: args.slug, name: args.name, description: args.description, licence: args.licence, ownerId: args.actorId }).returning();
    await tx
      .insert(projectVersions)
      .values({ projectId: p.id, version: 1, ...TEMPLATE_DEFINITIONS[args.template].definition, note: `Initial version (template: ${args.template})`, createdBy: args.actorId });
    await tx.insert(projectMembers).values({ projectId: p.id, userId: args.actorId, role: 'lead' });
    await writeAudit(tx, { actorId: args.actorId, action: 'project.create', projectId: p.id, ip: args.ip ?? null, details: { slug: args.slug, template: args.template } });
    return p;
  });
}

export async function updateProjectDetails(args: { projectId: string; name: string; description: string; licence: string; actorId: string; ip?: string | null; db?: Db }) {
  const d = args.db ?? getDb();
  await d.transaction(async (tx) => {
    await tx.update(projects).set({ name: args.name, description: args.description, licence: args.licence }).where(eq(projects.id, args.projectId));
    await writeAudit(tx, { actorId: args.actorId, action: 'project.update', projectId: args.projectId, ip: args.ip ?? null, details: { name: args.name, licence: args.licence } });
  });
}

/** Every version, newest first, with how many cases are pinned to it and how many reads they have. */
export async function listVersions({ projectId, db }: { projectId: string; db?: Db }) {
  const d = db ?? getDb();
  const rows = await d
    .select({ v: projectVersions, by: users.name })
    .from(projectVersions)
    .leftJoin(users, eq(users.id, projectVersions.createdBy))
    .where(eq(projectVersions.projectId, projectId))
    .orderBy(desc(projectVersions.version));
  const caseCounts = await d.select({ version: cases.projectVersion, n: count() }).from(cases).where(eq(cases.projectId, projectId)).groupBy(cases.projectVersion);
  const readCounts = await d
    .select({ version: cases.projectVersion, n: count() })
    .from(reads)
    .innerJoin(cases, eq(cases.id, reads.caseId))
    .where(eq(cases.projectId, projectId))
    .groupBy(cases.projectVersion);
  return rows.map(({ v, by }) => ({
    version: v.version,
    note: v.note,
    createdAt: v.createdAt.toISOString(),
    createdBy: by,
    cases: caseCounts.find((c) => c.version === v.version)?.n ?? 0,
    reads: readCounts.find((c) => c.version === v.version)?.n ?? 0,
    definition: definitionParts(v),
  }));
}

/** A stored version's definition, its study design included (absent when the project is not a study). */
function definitionParts(v: typeof projectVersions.$inferSelect): ProjectDefinition {
  return {
    readerForm: v.readerForm,
    referenceStandard: v.referenceStandard,
    mapping: v.mapping,
    truthPolicy: v.truthPolicy,
    ...(v.study ? { study: v.study } : {}),
  } as ProjectDefinition;
}

/**
 * The study design a saved definition carries. The editors build only the four parts, so a
 * definition without a study keeps the one stored (the design must not vanish because a label
 * was edited); `study: null` removes it explicitly.
 */
function withStudy(definition: ProjectDefinition, stored: unknown, study: StudyDesign | null | undefined): ProjectDefinition {
  const { study: given, ...parts } = definition;
  const chosen = study === null ? undefined : (study ?? given ?? (stored as StudyDesign | null) ?? undefined);
  return projectDefinitionSchema.parse(chosen ? { ...parts, study: chosen } : parts);
}

/** A new version (latest + 1) with the definition; refuses when nothing changed. */
export async function saveNewVersion(args: {
  projectId: string;
  definition: ProjectDefinition;
  /** Replaces the stored study design (null: the project stops being a study); absent: the definition's, else the newest version's. */
  study?: StudyDesign | null;
  note: string;
  actorId: string;
  ip?: string | null;
  db?: Db;
}) {
  const d = args.db ?? getDb();
  return d.transaction(async (tx) => {
    // Serialise version numbers per project.
    await tx.select({ id: projects.id }).from(projects).where(eq(projects.id, args.projectId)).for('update');
    const [latest] = await tx.select().from(projectVersions).where(eq(projectVersions.projectId, args.projectId)).orderBy(desc(projectVersions.version)).limit(1);
    const next = withStudy(args.definition, latest?.study, args.study);
    if (latest && canonicalJson(projectDefinitionSchema.parse(definitionParts(latest))) === canonicalJson(next) && (args.note === '' || args.note === latest!.note)) {
      throw new AppError('invalid', `Nothing changed from version ${latest!.version}.`);
    }
    const version = (latest?.version ?? 0) + 1;
    await tx.insert(projectVersions).values({ projectId: args.projectId, version, ...next, study: next.study ?? null, note: args.note, createdBy: args.actorId });
    await writeAudit(tx, { actorId: args.actorId, action: 'project.version.create', projectId: args.projectId, ip: args.ip ?? null, details: { version } });
    return version;
  });
}

/**
 * Edits a version in place: only its descriptions once a case is pinned to it (see module
 * comment); anything while it has no case.
 */
export async function editVersionInPlace(args: {
  projectId: string;
  version: number;
  definition: ProjectDefinition;
  /** As for saveNewVersion; absent keeps this version's study design. */
  study?: StudyDesign | null;
  note: string;
  actorId: string;
  ip?: string | null;
  db?: Db;
}) {
  const d = args.db ?? getDb();
  return d.transaction(async (tx) => {
    const [v] = await tx
      .select()
      .from(projectVersions)
      .where(and(eq(projectVersions.projectId, args.projectId), eq(projectVersions.version, args.version)))
      .for('update');
    if (!v) throw new AppError('not_found', `There is no version ${args.version}.`);
    const [{ n }] = await tx
      .select({ n: count() })
      .from(cases)
      .where(and(eq(cases.projectId, args.projectId), eq(cases.projectVersion, args.version)));
    const old = projectDefinitionSchema.parse(definitionParts(v));
    const next = withStudy(args.definition, v.study, args.study);
    if (n > 0 && canonicalJson(structureOf(old)) !== canonicalJson(structureOf(next))) {
      throw new AppError(
        'refused',
        `Version ${args.version} has ${n} case(s) pinned to it: only descriptions (labels, help, option descriptions, the note) can change in place. Save the change as a new version instead.`,
      );
    }
    await tx
      .update(projectVersions)
      .set({ ...next, study: next.study ?? null, note: args.note })
      .where(and(eq(projectVersions.projectId, args.projectId), eq(projectVersions.version, args.version)));
    await writeAudit(tx, {
      actorId: args.actorId,
      action: 'project.version.edit',
      projectId: args.projectId,
      ip: args.ip ?? null,
      details: { version: args.version, casesPinned: n },
    });
  });
}

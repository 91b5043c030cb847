/**
 * The zod enums of the vocabulary, built from its tuples (domain/vocabulary.ts stays the one
 * source). Server-only: forms, the API and workflow commands validate with these; pages import
 * the tuples and labels, so zod stays out of their bundles.
 */
import { z } from './zod-config.ts';
import { DISCORDANCE_OUTCOMES, EVIDENCE_KINDS, PROJECT_ROLES, SKIP_REASONS, SPLITS, TRUTH_STATES, UUID_RE } from './vocabulary.ts';

export const projectRoleSchema = z.enum(PROJECT_ROLES);
export const evidenceKindSchema = z.enum(EVIDENCE_KINDS);
export const truthStateSchema = z.enum(TRUTH_STATES);
export const discordanceOutcomeSchema = z.enum(DISCORDANCE_OUTCOMES);
export const splitSchema = z.enum(SPLITS);
export const skipReasonSchema = z.enum(SKIP_REASONS);

/** Every id taken from a URL or a form: a malformed one is a clear "not found", never a database error. */
export const uuidField = (message = 'not a valid id') => z.string().regex(UUID_RE, message);
export const uuidSchema = uuidField();

/** The members page's forms: server-only, so zod stays out of the pages' JavaScript (the server answers with the same messages). */
import { z } from 'zod';
import { PROJECT_ROLES as ROLES } from '../../domain/vocabulary.ts';

export const addMemberSchema = z.object({
  intent: z.literal('add'),
  email: z.string().trim().min(1, 'Enter the email of an existing account').email('Enter a valid email address'),
  role: z.enum(ROLES, { message: 'Choose a role' }),
});

export const removeRoleSchema = z.object({
  intent: z.literal('remove'),
  userId: z.string().min(1),
  role: z.enum(ROLES),
});

import { z } from 'zod';

export const createUserSchema = z.object({
  intent: z.literal('create'),
  email: z.string().trim().min(1, 'Enter an email address').email('Enter a valid email address'),
  name: z.string().trim().max(120, 'Use at most 120 characters').default(''),
  isAdmin: z.literal('on').optional(),
  canCreateProjects: z.literal('on').optional(),
});

export const userActionSchema = z.object({
  intent: z.enum(['deactivate', 'reactivate', 'reset', 'allow-projects', 'disallow-projects']),
  userId: z.string().min(1),
  /** Deactivate and reset act only with this: the first press answers with a confirmation step. */
  confirmed: z.literal('yes').optional(),
});

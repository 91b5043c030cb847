/** The API tokens page's forms: server-only, so zod stays out of the page's JavaScript. */
import { z } from 'zod';

export const createTokenSchema = z.object({
  intent: z.literal('create'),
  name: z.string().trim().min(1, 'Give the token a name, e.g. the script that will use it').max(100, 'At most 100 characters'),
  projects: z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(z.string().min(1)).min(1, 'Choose at least one project')),
});
export const revokeTokenSchema = z.object({ intent: z.literal('revoke'), tokenId: z.string().min(1) });

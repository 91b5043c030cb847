import { z } from 'zod';

export const signInSchema = z.object({
  email: z.string().trim().min(1, 'Enter your email address').email('Enter a valid email address'),
  password: z.string().min(1, 'Enter your password'),
  redirectTo: z.string().optional(),
});

export const passwordRules = z
  .string()
  .min(12, 'Use at least 12 characters')
  .max(200, 'Use at most 200 characters');

export const changePasswordSchema = z
  .object({
    current: z.string().min(1, 'Enter your current password'),
    next: passwordRules,
    confirm: z.string(),
  })
  .refine((v) => v.next === v.confirm, { path: ['confirm'], message: 'The two new passwords do not match' })
  .refine((v) => v.next !== v.current, { path: ['next'], message: 'Choose a password different from the current one' });

/** Only same-site paths: an open redirect would turn sign-in into a phishing aid. */
export function safeRedirect(to: unknown, fallback = '/'): string {
  if (typeof to !== 'string' || !to.startsWith('/') || to.startsWith('//') || to.startsWith('/\\')) return fallback;
  return to;
}

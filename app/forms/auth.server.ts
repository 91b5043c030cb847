/** Sign-in and password forms: server-only, so zod stays out of the pages' JavaScript (the server answers with the same messages). */
import { z } from 'zod';

export const signInSchema = z.object({
  email: z.string().trim().min(1, 'Enter your email address').email('Enter a valid email address'),
  password: z.string().min(1, 'Enter your password'),
  redirectTo: z.string().optional(),
});

export const passwordRules = z.string().min(12, 'Use at least 12 characters').max(200, 'Use at most 200 characters');

export const changePasswordSchema = z
  .object({
    current: z.string().min(1, 'Enter your current password'),
    next: passwordRules,
    confirm: z.string(),
  })
  .refine((v) => v.next === v.confirm, { path: ['confirm'], message: 'The two new passwords do not match' })
  .refine((v) => v.next !== v.current, { path: ['next'], message: 'Choose a password different from the current one' });

/**
 * Only same-origin paths: an open redirect would turn sign-in into a phishing aid. Browsers drop
 * tabs and line breaks inside URLs ("/\t/evil.example" becomes "//evil.example"), so any control
 * character refuses the target; what remains is resolved against a placeholder origin exactly as
 * a browser would and kept only if it stays there.
 */

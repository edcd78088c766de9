import { UNSTORABLE_TEXT, unstorableTextPath } from '@platform/db';
import { z } from 'zod';
import { PASSWORD_MAX, PASSWORD_MIN } from './password.ts';

const email = z.email({ message: 'must be a valid email address' }).max(254);
const password = z
  .string()
  .min(PASSWORD_MIN, { message: `must be at least ${PASSWORD_MIN} characters` })
  .max(PASSWORD_MAX, { message: `must be at most ${PASSWORD_MAX} characters` });

/** Optional fields Better Auth's own clients send along. */
const clientExtras = {
  callbackURL: z.string().max(2048).optional(),
  rememberMe: z.boolean().optional(),
};

export const signUpInput = z.strictObject({
  name: z.string().trim().min(1, { message: 'is required' }).max(200),
  email,
  password,
  organizationName: z.string().trim().min(1, { message: 'is required' }).max(200),
  image: z.url().max(2048).optional(),
  ...clientExtras,
});

export const signInInput = z.strictObject({
  email,
  // No length policy here: a wrong-length password is just a wrong password.
  password: z
    .string()
    .min(1, { message: 'is required' })
    .max(PASSWORD_MAX * 4),
  ...clientExtras,
});

/** A new password also meets the password policy (password-policy.ts), checked after this. */
export const changePasswordInput = z.strictObject({
  newPassword: password,
  currentPassword: z
    .string()
    .min(1, { message: 'is required' })
    .max(PASSWORD_MAX * 4),
  // Accepted for Better Auth's clients, but always treated as true (auth-security.ts).
  revokeOtherSessions: z.boolean().optional(),
});

export const resetPasswordInput = z.strictObject({
  newPassword: password,
  token: z.string().min(1, { message: 'is required' }).max(512).optional(),
});

/** Inputs validated before Better Auth sees them, by endpoint path. */
export const authInputs: Record<string, z.ZodType> = {
  '/sign-up/email': signUpInput,
  '/sign-in/email': signInInput,
  '/change-password': changePasswordInput,
  '/reset-password': resetPasswordInput,
};

/** First issue of a failed parse, as `{ field, message }` for a 400 answer. */
export function firstIssue(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0];
  if (!issue) return { field: '', message: 'Invalid input' };
  if (issue.code === 'unrecognized_keys') {
    const field = issue.keys[0] ?? '';
    return { field, message: `${field}: unknown field` };
  }
  const field = issue.path.join('.');
  if (!field) return { field: 'body', message: 'body: must be a JSON object' };
  const message = issue.message.startsWith('Invalid input')
    ? `${field}: ${issue.message.toLowerCase()}`
    : `${field}: ${issue.message}`;
  return { field, message };
}

/**
 * The first field of a body holding text PostgreSQL cannot store (a NUL, an unpaired
 * surrogate), as `{ field, message }` for a 400; undefined when there is none. Passwords are
 * only ever hashed, never stored, so they may hold anything (as they always could).
 */
export function unstorableField(body: unknown): { field: string; message: string } | undefined {
  const stored =
    body && typeof body === 'object' && !Array.isArray(body)
      ? Object.fromEntries(Object.entries(body).filter(([key]) => !/password/i.test(key)))
      : body;
  const at = unstorableTextPath(stored);
  if (at === undefined) return undefined;
  const field = at || 'body';
  return { field, message: `${field}: ${UNSTORABLE_TEXT}` };
}

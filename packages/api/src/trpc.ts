import { UNSTORABLE_TEXT, unstorableTextPath } from '@platform/db';
import { initTRPC, TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import type { Context } from './context.ts';
import { asDomainError, DomainError } from './errors.ts';

/** Where in the input a validation error points, e.g. `role` or `items.0.name`. */
function fieldOf(error: ZodError): { field: string; message: string } {
  const issue = error.issues[0];
  if (!issue) return { field: '', message: 'Invalid input' };
  // An unknown key inside a nested object is named with its path, e.g. `settings.theme.accent`.
  const path =
    issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
  const field = path.map(String).filter(Boolean).join('.');
  if (!field) return { field: 'input', message: 'input: must be an object' };
  const message = issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message;
  return { field, message: `${field}: ${message}` };
}

const t = initTRPC.context<Context>().create({
  // Stacks never reach clients (the formatter drops them), so never build them: with source
  // maps on, each one costs about a millisecond.
  isDev: false,
  // One formatter for every error: domain errors keep their code and field, validation
  // errors name the field, anything unexpected is a bare 500 whose cause is only logged.
  errorFormatter({ shape, error }) {
    let field: string | undefined;
    let message = shape.message;
    if (error.cause instanceof ZodError) ({ field, message } = fieldOf(error.cause));
    else if (error.cause instanceof DomainError) field = error.cause.field;
    else if (error.code === 'PARSE_ERROR' || error.cause instanceof SyntaxError)
      ({ field, message } = { field: 'input', message: 'input: not valid JSON' });
    if (error.code === 'INTERNAL_SERVER_ERROR') message = 'Internal server error';
    return {
      message,
      code: shape.code,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        ...(field ? { field } : {}),
      },
    };
  },
});

/** Maps domain errors thrown anywhere below to their tRPC code. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  const cause = result.ok ? undefined : asDomainError(result.error.cause);
  if (cause) throw new TRPCError({ code: cause.code, message: cause.message, cause });
  return result;
});

/**
 * Text PostgreSQL cannot store (a NUL, an unpaired surrogate) anywhere in the input is refused
 * with a 400 naming its field; it would otherwise fail deep inside a procedure as a 500. Like
 * malformed JSON, it is refused before anything else looks at the input.
 */
const storableInput = t.middleware(async ({ getRawInput, next }) => {
  const at = unstorableTextPath(await getRawInput());
  if (at !== undefined)
    throw new DomainError('BAD_REQUEST', `${at || 'input'}: ${UNSTORABLE_TEXT}`, at || 'input');
  return next();
});

export const router = t.router;
export const baseProcedure = t.procedure.use(domainErrors).use(storableInput);

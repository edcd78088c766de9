import type { FastifyInstance } from 'fastify';

/** Deeper than any input this API takes (widget settings, the deepest, nest 3 levels). */
export const MAX_JSON_DEPTH = 64;

/**
 * Why a parsed JSON body is refused, or null. Iterative, so the walk itself cannot overflow.
 * - Nesting past `max`: such a body parses, but overflowed the stack of every recursive walk
 *   after it (JSON.stringify into the tRPC and Better Auth bridges, among others): a 500.
 * - A number JSON can write but not hold, such as 1e309: it parses as Infinity, which the
 *   bridges wrote back as null, so `{"monthlyLimitUsd": 1e309}` removed the budget's limit.
 */
export function jsonBodyProblem(value: unknown, max = MAX_JSON_DEPTH): string | null {
  const stack: [unknown, number][] = [[value, 0]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [item, depth] = next;
    if (typeof item === 'number' && !Number.isFinite(item))
      return 'body: a number is too large to represent';
    if (!item || typeof item !== 'object') continue;
    if (depth >= max) return `body: nested more than ${max} levels deep`;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return null;
}

/**
 * Fastify's own JSON body parser (which already refuses `__proto__` and `constructor.prototype`
 * keys), plus the checks above, each a 400 on `body`.
 */
export function registerJsonBody(app: FastifyInstance) {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    parse(request, body as string, (error, value) => {
      if (error) return done(error, undefined);
      const problem = jsonBodyProblem(value);
      if (problem) return done(Object.assign(new Error(problem), { statusCode: 400 }), undefined);
      return done(null, value);
    }),
  );
}

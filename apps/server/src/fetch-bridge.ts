import type { FastifyReply, FastifyRequest } from 'fastify';

/** Node request headers as Fetch headers (repeated headers joined as the spec says). */
export function toFetchHeaders(request: FastifyRequest): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

/**
 * A Fastify request as a Fetch Request for handlers written against the Fetch API (Better
 * Auth, tRPC). Fastify has already enforced the body limit and parsed the JSON, so a
 * malformed body never gets this far.
 */
export function toFetchRequest(
  request: FastifyRequest,
  publicUrl: string,
  headers = toFetchHeaders(request),
) {
  const hasBody =
    request.method !== 'GET' && request.method !== 'HEAD' && request.body !== undefined;
  return new Request(new URL(request.url, publicUrl), {
    method: request.method,
    headers,
    ...(hasBody ? { body: JSON.stringify(request.body) } : {}),
  });
}

/** Sends a Fetch Response through Fastify (buffered: these bodies are small JSON). */
export async function sendFetchResponse(reply: FastifyReply, response: Response) {
  reply.status(response.status);
  for (const [name, value] of response.headers)
    if (name !== 'set-cookie') reply.header(name, value);
  const cookies = response.headers.getSetCookie();
  if (cookies.length) reply.header('set-cookie', cookies);
  return reply.send(response.body ? await response.text() : null);
}

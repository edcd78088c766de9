import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Platform } from '../platform.ts';
import { type Caller, conversationFor, createCaller } from './caller.ts';
import { allowOrigin, allowPreflight } from './cors.ts';
import { answer, bearerOf, parseInput, validOrigin } from './http.ts';
import { conversationParams, sendMessageHandler } from './send-message.ts';

const BASE = '/api/v1/conversations';

const createInput = z.strictObject({
  title: z.string().trim().min(1, { message: 'must not be empty' }).max(200).optional(),
  visitorName: z.string().trim().min(1, { message: 'must not be empty' }).max(100).optional(),
  visitorEmail: z.email({ message: 'must be an email address' }).max(200).optional(),
});
const visitorInput = z
  .strictObject({
    name: z.string().trim().min(1, { message: 'must not be empty' }).max(100).optional(),
    email: z.email({ message: 'must be an email address' }).max(200).optional(),
  })
  .refine((v) => v.name !== undefined || v.email !== undefined, {
    message: 'name or email is required',
    path: ['name'],
  });
const listQuery = z.strictObject({
  status: z.enum(['open', 'waiting', 'resolved']).optional(),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});
const messagesQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).optional() });
const handoffInput = z.strictObject({
  reason: z.string().trim().min(1, { message: 'must not be empty' }).max(200).optional(),
});
const ratingInput = z.strictObject({
  scale: z.enum(['thumbs', 'csat']),
  value: z.number().int(),
  comment: z.string().trim().max(1000).optional(),
});

/**
 * REST for API and widget clients, authenticated like /ws (a visitor token, or a session
 * cookie from an allowed origin). Browsers on other sites may read answers only with a visitor
 * token issued to their own origin.
 */
export function registerConversationRoutes(app: FastifyInstance, platform: Platform) {
  app.register(async (scope) => conversationRoutes(scope, platform, createCaller(platform)));
}

async function conversationRoutes(scope: FastifyInstance, platform: Platform, caller: Caller) {
  const { conversations } = platform;

  scope.addHook('onRequest', async (request, reply) => {
    reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    const token = bearerOf(request.headers.authorization);
    if (origin && token && platform.visitorTokens.verify(token)?.origin === origin)
      allowOrigin(reply, origin);
  });
  // A preflight carries no token: it is answered only for requests that will bring one (the
  // POST itself is then readable only from the token's own origin), never for cookies.
  const preflightHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    const origin = request.headers.origin;
    const wanted = String(request.headers['access-control-request-headers'] ?? '').toLowerCase();
    if (validOrigin(origin) && /\bauthorization\b/.test(wanted))
      allowPreflight(reply, origin, 'GET, POST');
    return reply.status(204).send();
  };
  scope.options(BASE, preflightHandler);
  scope.options(`${BASE}/*`, preflightHandler);

  scope.post(BASE, (request, reply) =>
    answer(reply, async () => {
      const { actor, audience } = await caller(request);
      const input = parseInput(createInput, request.body ?? {});
      const view = await conversations.create(actor, {
        // Members (and later API keys) open API conversations; a visitor's is its widget's.
        ...(actor.kind === 'visitor' ? {} : { channel: 'api' as const }),
        ...(input.title ? { title: input.title } : {}),
        ...(input.visitorName ? { visitorName: input.visitorName } : {}),
        ...(input.visitorEmail ? { visitorEmail: input.visitorEmail } : {}),
      });
      return reply.status(201).send(conversationFor(view, audience));
    }),
  );

  // A visitor's own conversations through its widget (members: the whole inbox), newest first.
  scope.get(BASE, (request, reply) =>
    answer(reply, async () => {
      const { actor, audience } = await caller(request);
      const query = parseInput(listQuery, request.query);
      const page = await conversations.list(actor, {
        ...(query.status ? { status: [query.status] } : {}),
        ...(query.cursor ? { cursor: query.cursor } : {}),
        ...(query.limit ? { limit: query.limit } : {}),
      });
      return reply.send({
        items: page.items.map((view) => conversationFor(view, audience)),
        nextCursor: page.nextCursor,
      });
    }),
  );

  scope.get(`${BASE}/:id`, (request, reply) =>
    answer(reply, async () => {
      const { actor, audience } = await caller(request);
      const { id } = parseInput(conversationParams, request.params);
      return reply.send(conversationFor(await conversations.get(actor, id), audience));
    }),
  );

  scope.get(`${BASE}/:id/messages`, (request, reply) =>
    answer(reply, async () => {
      const { actor } = await caller(request);
      const { id } = parseInput(conversationParams, request.params);
      const { limit } = parseInput(messagesQuery, request.query);
      return reply.send({
        items: await conversations.messages(actor, id, limit ? { limit } : {}),
      });
    }),
  );

  scope.post(`${BASE}/:id/messages`, sendMessageHandler(platform, caller));

  scope.post(`${BASE}/:id/stop`, (request, reply) =>
    answer(reply, async () => {
      const { actor } = await caller(request);
      const { id } = parseInput(conversationParams, request.params);
      return reply.send(await conversations.stopAnswer(actor, id));
    }),
  );

  // The widget's identify(): the visitor's name and email, for the members answering them.
  scope.post(`${BASE}/:id/visitor`, (request, reply) =>
    answer(reply, async () => {
      const { actor, audience } = await caller(request);
      const { id } = parseInput(conversationParams, request.params);
      const visitor = parseInput(visitorInput, request.body ?? {});
      return reply.send(
        conversationFor(await conversations.identifyVisitor(actor, id, visitor), audience),
      );
    }),
  );

  scope.post(`${BASE}/:id/handoff`, (request, reply) =>
    answer(reply, async () => {
      const { actor, audience } = await caller(request);
      const { id } = parseInput(conversationParams, request.params);
      const { reason } = parseInput(handoffInput, request.body ?? {});
      return reply.send(
        conversationFor(await conversations.requestHuman(actor, id, reason), audience),
      );
    }),
  );

  scope.post(`${BASE}/:id/rating`, (request, reply) =>
    answer(reply, async () => {
      const { actor, audience } = await caller(request);
      const { id } = parseInput(conversationParams, request.params);
      const rating = parseInput(ratingInput, request.body);
      const view = await conversations.rate(actor, id, {
        scale: rating.scale,
        value: rating.value,
        ...(rating.comment ? { comment: rating.comment } : {}),
      });
      return reply.send(conversationFor(view, audience));
    }),
  );
}

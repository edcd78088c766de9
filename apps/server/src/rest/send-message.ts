import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Platform } from '../platform.ts';
import type { Caller } from './caller.ts';
import { answer, errorBody, parseInput } from './http.ts';
import { EventStream } from './sse.ts';

export const conversationParams = z.object({
  id: z.uuid({ message: 'must be a conversation id (UUID)' }),
});

const sendInput = z.strictObject({
  text: z.string().trim().min(1, { message: 'must not be empty' }),
  clientMessageId: z.string().min(1).max(100).optional(),
});

/** JSON only when the client asks for it and not for a stream. */
const wantsJson = (accept: string | undefined) =>
  !!accept && accept.includes('application/json') && !accept.includes('text/event-stream');

/**
 * `POST /api/v1/conversations/:id/messages`: stores the message and streams the answer as
 * Server-Sent Events (`message`, `delta`…, then `done` or `error`), or returns the outcome as
 * JSON for `Accept: application/json`. Mistakes found before the stream starts are plain JSON
 * 4xx. A client that leaves does not stop the answer (it is stored, and others may be
 * watching); `POST …/stop` does.
 */
export function sendMessageHandler(platform: Platform, caller: Caller) {
  const { conversations, limits, log } = platform;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    // Opened by the first event, so that errors before it are still plain JSON replies.
    const sse: { stream: EventStream | null } = { stream: null };
    const open = () => {
      sse.stream ??= EventStream.open(request, reply);
      return sse.stream;
    };
    try {
      return await answer(reply, async () => {
        const { actor } = await caller(request);
        const { id } = parseInput(conversationParams, request.params);
        const body = parseInput(sendInput, request.body ?? {});
        limits.checkMessage(body.text);
        const input = {
          conversationId: id,
          text: body.text,
          ...(body.clientMessageId ? { clientMessageId: body.clientMessageId } : {}),
        };
        if (wantsJson(request.headers.accept))
          return reply.send(await conversations.send(actor, input));

        let index = 0;
        try {
          const outcome = await conversations.send(actor, input, {
            onAccepted: (message) => open().send('message', message),
            onDelta: (delta) => open().send('delta', { delta, index: index++ }),
          });
          // A repeated clientMessageId stores nothing new: the stream still names the message.
          if (!sse.stream) open().send('message', outcome.message);
          open().send('done', {
            reply: outcome.reply,
            handoff: outcome.handoff,
            duplicate: outcome.duplicate,
          });
        } catch (error) {
          // Before the stream started, the error is an ordinary JSON reply.
          if (!sse.stream) throw error;
          const failure = errorBody(error);
          if (!failure) log.error({ err: error, reqId: request.id }, 'streamed answer failed');
          sse.stream.send('error', {
            code: failure?.code ?? 'INTERNAL_SERVER_ERROR',
            message: failure?.message ?? 'Internal server error',
            ...(failure?.field ? { field: failure.field } : {}),
          });
        }
      });
    } finally {
      if (sse.stream) {
        sse.stream.end();
        // A hijacked reply never reaches onSend, where in-flight requests are counted out.
        request.server.inFlight.done(request);
      }
    }
  };
}

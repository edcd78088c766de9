/**
 * The /ws wire protocol, version 1: JSON text frames, each with `v` and `type`. Client frames
 * are validated here; anything malformed becomes an error frame naming the problem, and the
 * connection stays up.
 */
import { z } from 'zod';
import { isEventId } from './event-id.ts';
import type { BusEvent, ClientEventType } from './events.ts';

export const PROTOCOL_VERSION = 1;

/** Default limit on a message's text, in bytes of UTF-8 (REALTIME_MAX_MESSAGE_BYTES). */
export const DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024;

const eventId = z
  .string()
  .refine(isEventId, { message: 'must be an event id like 1700000000000-0' });
const conversationId = z.uuid({ message: 'must be a conversation id (UUID)' });
const requestId = z.string().min(1).max(64).optional();

const frames = {
  subscribe: z.object({
    type: z.literal('subscribe'),
    requestId,
    /** A conversation's events; omitted for the tenant-wide topic (members only). */
    conversationId: conversationId.optional(),
    lastEventId: eventId.optional(),
  }),
  unsubscribe: z.object({
    type: z.literal('unsubscribe'),
    requestId,
    conversationId: conversationId.optional(),
  }),
  send: z.object({
    type: z.literal('send'),
    requestId,
    conversationId,
    text: z.string().trim().min(1, { message: 'must not be empty' }),
    /** Makes a retried send idempotent. */
    clientMessageId: z.string().min(1).max(100).optional(),
  }),
  stop: z.object({ type: z.literal('stop'), requestId, conversationId }),
  typing: z.object({ type: z.literal('typing'), conversationId, typing: z.boolean() }),
  handoff: z.object({ type: z.literal('handoff'), requestId, conversationId }),
  ping: z.object({ type: z.literal('ping'), requestId }),
};

export type ClientFrame = {
  [K in keyof typeof frames]: z.infer<(typeof frames)[K]>;
}[keyof typeof frames];
export type ClientFrameType = ClientFrame['type'];

export type ErrorCode =
  | 'bad_frame'
  | 'unsupported_version'
  | 'unknown_type'
  | 'invalid'
  | 'message_too_large'
  | 'rate_limited'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payment_required'
  /** The server is shutting down: reconnect (to another instance) and send again. */
  | 'unavailable'
  | 'internal';

export type ProtocolError = {
  code: ErrorCode;
  message: string;
  field?: string;
  requestId?: string;
};

export type ParsedFrame = { ok: true; frame: ClientFrame } | { ok: false; error: ProtocolError };

function fail(code: ErrorCode, message: string, field?: string, requestId?: string): ParsedFrame {
  return {
    ok: false,
    error: { code, message, ...(field ? { field } : {}), ...(requestId ? { requestId } : {}) },
  };
}

/** Parses one text frame from a client; never throws. */
export function parseClientFrame(
  raw: string,
  limits: { maxMessageBytes: number } = { maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES },
): ParsedFrame {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return fail('bad_frame', 'Frames must be JSON objects');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return fail('bad_frame', 'Frames must be JSON objects');
  const obj = value as Record<string, unknown>;
  const rid = typeof obj.requestId === 'string' ? obj.requestId.slice(0, 64) : undefined;
  if (obj.v !== PROTOCOL_VERSION)
    return fail('unsupported_version', `Protocol version must be ${PROTOCOL_VERSION}`, 'v', rid);
  const type = obj.type;
  if (typeof type !== 'string' || !Object.hasOwn(frames, type))
    return fail(
      'unknown_type',
      `Unknown frame type ${JSON.stringify(String(type)).slice(0, 60)}; expected one of ${Object.keys(frames).join(', ')}`,
      'type',
      rid,
    );
  if (type === 'send' && typeof obj.text === 'string') {
    const bytes = Buffer.byteLength(obj.text, 'utf8');
    if (bytes > limits.maxMessageBytes)
      return fail(
        'message_too_large',
        `Message text is ${bytes} bytes; the limit is ${limits.maxMessageBytes}`,
        'text',
        rid,
      );
  }
  const parsed = frames[type as ClientFrameType].safeParse(obj);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || undefined;
    return fail('invalid', `${field ?? 'frame'}: ${issue?.message ?? 'invalid'}`, field, rid);
  }
  return { ok: true, frame: parsed.data as ClientFrame };
}

/** Server frames. Events carry their bus id, which the client sends back as lastEventId. */
export type ServerFrame =
  | {
      v: 1;
      type: 'hello';
      connectionId: string;
      heartbeatMs: number;
      identity: { kind: 'member' | 'visitor'; tenantId: string; name: string | null };
    }
  | {
      v: 1;
      type: 'event';
      id: string;
      topic: string;
      event: ClientEventType;
      data: Record<string, unknown>;
    }
  | {
      v: 1;
      type: 'subscribed';
      requestId?: string;
      conversationId: string | null;
      /** Events sent because the client had missed them. */
      replayed: number;
      /** Where they came from: the stream, or the database when the stream no longer reached. */
      source: 'none' | 'stream' | 'database';
    }
  | { v: 1; type: 'unsubscribed'; requestId?: string; conversationId: string | null }
  | { v: 1; type: 'ack'; requestId?: string; data: Record<string, unknown> }
  | { v: 1; type: 'error'; code: ErrorCode; message: string; field?: string; requestId?: string }
  | { v: 1; type: 'resync'; reason: string }
  | { v: 1; type: 'pong'; requestId?: string };

/** An event as the client sees it: serialised once, sent to every subscriber. */
export function eventFrame(event: BusEvent): string {
  const frame: ServerFrame = {
    v: 1,
    type: 'event',
    id: event.id,
    topic: event.topic,
    event: event.type as ClientEventType,
    data: event.data,
  };
  return JSON.stringify(frame);
}

export function frame(value: ServerFrame): string {
  return JSON.stringify(value);
}

import multipart from '@fastify/multipart';
import { asDomainError, MFA_FIELD, MFA_REQUIRED_MESSAGE } from '@platform/api';
import { UNSTORABLE_TEXT, unstorableTextPath } from '@platform/db';
import { addDocument, KnowledgeInputError } from '@platform/knowledge';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Platform } from './platform.ts';
import { requestSession } from './request-session.ts';

const fieldsSchema = z.strictObject({
  source: z.string().trim().min(1).max(2000).optional(),
  title: z.string().trim().min(1).max(300).optional(),
  collectionId: z.uuid({ message: 'must be a UUID' }).optional(),
  /** Comma-separated. */
  tags: z
    .string()
    .max(2000)
    .transform((s) =>
      s
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().max(64)).max(20))
    .optional(),
});

const fail = (reply: FastifyReply, status: number, code: string, message: string, field?: string) =>
  reply.status(status).send({ code, message, ...(field ? { field } : {}) });

/**
 * REST upload for scripts and plain HTML forms: `POST /api/v1/knowledge/documents` with
 * multipart/form-data, one `file` part plus optional `source`, `title`, `collectionId` and
 * `tags` fields. Same rules as the tRPC procedure (owners and admins; sniffed type; size
 * limit; dedupe and replace), answered as `{ document, outcome }` or `{ code, message, field }`.
 */
export async function registerKnowledgeUpload(app: FastifyInstance, platform: Platform) {
  const maxBytes = platform.knowledge.maxUploadBytes;
  const publicOrigin = new URL(platform.config.PUBLIC_URL).origin;
  await app.register(async (scope) => {
    await scope.register(multipart, {
      limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 4096, parts: 12 },
    });
    scope.post('/api/v1/knowledge/documents', async (request, reply) => {
      // Cookie-authenticated form posts: a browser on another site must not upload for you.
      const origin = request.headers.origin;
      if (origin && origin !== publicOrigin)
        return fail(reply, 403, 'FORBIDDEN', 'origin: cross-site upload refused', 'origin');
      const identity = await requestSession(platform.identity, request);
      if (!identity) return fail(reply, 401, 'UNAUTHORIZED', 'Sign in first');
      const tenantId = identity.tenantId;
      if (!tenantId)
        return fail(reply, 403, 'FORBIDDEN', 'This account belongs to no organisation');
      if (!request.isMultipart())
        return fail(reply, 415, 'UNSUPPORTED_MEDIA_TYPE', 'body: send multipart/form-data', 'body');

      const fields: Record<string, string> = {};
      let file: { name: string; bytes: Buffer } | undefined;
      try {
        for await (const part of request.parts()) {
          if (part.type === 'file') {
            if (part.fieldname !== 'file' || file)
              return fail(
                reply,
                400,
                'BAD_REQUEST',
                `${part.fieldname}: only one file part, named file`,
                part.fieldname,
              );
            file = { name: part.filename || 'upload', bytes: await part.toBuffer() };
          } else fields[part.fieldname] = String(part.value);
        }
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'FST_REQ_FILE_TOO_LARGE')
          return fail(
            reply,
            413,
            'PAYLOAD_TOO_LARGE',
            `file: larger than the ${Math.round(maxBytes / 1048576)} MB limit`,
            'file',
          );
        if (code?.startsWith('FST_'))
          return fail(reply, 400, 'BAD_REQUEST', `body: ${(error as Error).message}`, 'body');
        throw error;
      }
      if (!file) return fail(reply, 400, 'BAD_REQUEST', 'file: required', 'file');
      // Text PostgreSQL cannot store (a NUL in a field or the file name was a 500).
      const unstorable = unstorableTextPath({ ...fields, file: file.name });
      if (unstorable)
        return fail(reply, 400, 'BAD_REQUEST', `${unstorable}: ${UNSTORABLE_TEXT}`, unstorable);
      const parsed = fieldsSchema.safeParse(fields);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field =
          issue?.code === 'unrecognized_keys'
            ? (issue.keys[0] ?? 'body')
            : String(issue?.path[0] ?? 'body');
        return fail(
          reply,
          400,
          'BAD_REQUEST',
          `${field}: ${issue?.code === 'unrecognized_keys' ? 'unknown field' : issue?.message}`,
          field,
        );
      }

      const upload = file;
      try {
        const result = await platform.db.withTenant(
          tenantId,
          async (tx, member) => {
            if (!member || (member.role !== 'owner' && member.role !== 'admin')) return null;
            // The organisation's MFA policy, as every tenant procedure applies it (mfa-gate.ts).
            if (member.mfaBlocked) return 'mfa' as const;
            return addDocument(
              tx,
              tenantId,
              { ...parsed.data, fileName: upload.name, bytes: upload.bytes },
              { maxBytes },
            );
          },
          { memberId: identity.userId },
        );
        if (!result) return fail(reply, 403, 'FORBIDDEN', 'Requires the owner or admin role');
        if (result === 'mfa') return fail(reply, 403, 'FORBIDDEN', MFA_REQUIRED_MESSAGE, MFA_FIELD);
        platform.knowledge.nudge();
        return reply.status(result.outcome === 'created' ? 201 : 200).send(result);
      } catch (error) {
        if (error instanceof KnowledgeInputError) {
          const domain = asDomainError(error);
          return fail(
            reply,
            error.status,
            domain?.code ?? 'BAD_REQUEST',
            error.message,
            error.field,
          );
        }
        throw error;
      }
    });
  });
}

import { addDocument } from '@platform/knowledge';
import { z } from 'zod';
import { adminProcedure } from '../../procedures.ts';
import { tagsInput, uuid } from './inputs.ts';

export const uploadInput = z.strictObject({
  fileName: z.string().trim().min(1, { message: 'must not be empty' }).max(255),
  /** The file's bytes, base64-encoded (REST takes multipart at /api/v1/knowledge/documents). */
  contentBase64: z.base64({ message: 'must be base64' }),
  source: z.string().trim().min(1).max(2000).optional(),
  title: z.string().trim().min(1).max(300).optional(),
  collectionId: uuid().nullish(),
  tags: tagsInput.optional(),
});

/**
 * Adds a document and queues its ingestion. The same bytes again answer `unchanged`; new
 * bytes from a known source answer `replaced`.
 */
export const upload = adminProcedure.input(uploadInput).mutation(async ({ ctx, input }) => {
  const { contentBase64, ...rest } = input;
  const result = await addDocument(
    ctx.tx,
    ctx.tenantId,
    { ...rest, bytes: Buffer.from(contentBase64, 'base64') },
    { maxBytes: ctx.knowledge.maxUploadBytes },
  );
  queueMicrotask(() => ctx.knowledge.nudge());
  return result;
});

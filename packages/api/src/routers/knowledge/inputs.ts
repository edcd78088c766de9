import { z } from 'zod';

export const uuid = () => z.uuid({ message: 'must be a UUID' });

/** Tags label documents for filtering: short, trimmed, at most 20. */
export const tagsInput = z
  .array(z.string().trim().min(1, { message: 'must not be empty' }).max(64))
  .max(20);

export const filtersInput = z.strictObject({
  collectionId: uuid().optional(),
  tags: tagsInput.optional(),
  documentIds: z.array(uuid()).max(100).optional(),
});

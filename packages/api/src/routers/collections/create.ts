import { schema } from '@platform/db';
import { z } from 'zod';
import { audit } from '../../audit.ts';
import { DomainError } from '../../errors.ts';
import { adminProcedure } from '../../procedures.ts';

const col = schema.collections;

export const createInput = z.strictObject({
  name: z.string().trim().min(1, { message: 'must not be empty' }).max(100),
  description: z.string().trim().max(1000).optional(),
});

/** A named group of documents that a personality or widget can be bound to. Audited. */
export const create = adminProcedure.input(createInput).mutation(async ({ ctx, input }) => {
  const [row] = await ctx.tx
    .insert(col)
    .values({ tenantId: ctx.tenantId, ...input })
    .onConflictDoNothing()
    .returning({
      id: col.id,
      name: col.name,
      description: col.description,
      createdAt: col.createdAt,
    });
  if (!row) throw new DomainError('CONFLICT', 'A collection with this name exists', 'name');
  await audit(ctx, {
    action: 'collection.created',
    resourceType: 'collection',
    resourceId: row.id,
    metadata: { after: { name: row.name, description: row.description } },
  });
  return row;
});

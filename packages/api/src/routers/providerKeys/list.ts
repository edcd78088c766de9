import { listProviderKeys } from '@platform/ai';
import { adminProcedure } from '../../procedures.ts';

/** The organisation's own vendor keys: which vendor, where, and a hint; never the key itself. */
export const list = adminProcedure.query(async ({ ctx }) => {
  const rows = await listProviderKeys(ctx.tx, ctx.tenantId);
  return {
    items: rows.map((r) => ({
      provider: r.provider,
      baseUrl: r.baseUrl,
      keyHint: r.keyHint,
      validatedAt: r.validatedAt,
    })),
  };
});

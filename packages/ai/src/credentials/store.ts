import { appendAudit, schema, type Tx } from '@platform/db';
import { and, eq } from 'drizzle-orm';
import { AiInputError } from '../input-error.ts';
import type { ProviderName } from '../providers/model-ref.ts';
import type { CredentialsByProvider } from '../providers/registry.ts';
import { type KeyCipher, keyHint } from './cipher.ts';
import { validateProviderKey } from './validate.ts';

const pc = schema.providerCredentials;
export type VendorName = Exclude<ProviderName, 'offline'>;

const context = (tenantId: string, provider: string) => `${tenantId}:${provider}`;

/** What a tenant may see of its keys: never the key itself. */
export async function listProviderKeys(tx: Tx, tenantId: string) {
  return tx
    .select({
      provider: pc.provider,
      baseUrl: pc.baseUrl,
      keyHint: pc.keyHint,
      validatedAt: pc.validatedAt,
      updatedAt: pc.updatedAt,
    })
    .from(pc)
    .where(eq(pc.tenantId, tenantId))
    .orderBy(pc.provider);
}

/**
 * Validates a tenant's key with the vendor first, then stores it encrypted. A key that fails
 * validation is reported and not stored. Call outside long transactions: validation is a
 * network round trip (the caller passes a function that opens the transaction to store).
 */
export async function checkProviderKey(
  provider: VendorName,
  apiKey: string,
  baseUrl: string | undefined,
) {
  if (provider === 'compatible' && !baseUrl)
    throw new AiInputError('baseUrl', 'a base URL is required for an OpenAI-compatible server');
  const check = await validateProviderKey(provider, apiKey, baseUrl);
  if (!check.ok) throw new AiInputError('apiKey', check.reason);
}

export async function saveProviderKey(
  tx: Tx,
  tenantId: string,
  cipher: KeyCipher,
  input: { provider: VendorName; apiKey: string; baseUrl?: string | undefined },
  actor: string | null,
): Promise<void> {
  const values = {
    baseUrl: input.baseUrl ?? null,
    keyCiphertext: cipher.encrypt(input.apiKey, context(tenantId, input.provider)),
    keyHint: keyHint(input.apiKey),
    validatedAt: new Date(),
    createdBy: actor,
  };
  await tx
    .insert(pc)
    .values({ tenantId, provider: input.provider, ...values })
    .onConflictDoUpdate({
      target: [pc.tenantId, pc.provider],
      set: { ...values, updatedAt: new Date() },
    });
  await appendAudit(tx, tenantId, {
    actorUserId: actor,
    action: 'provider_key.save',
    resourceType: 'provider_key',
    resourceId: input.provider,
    metadata: { provider: input.provider, keyHint: values.keyHint, baseUrl: values.baseUrl },
  });
}

export async function removeProviderKey(
  tx: Tx,
  tenantId: string,
  provider: VendorName,
  actor: string | null,
) {
  const deleted = await tx
    .delete(pc)
    .where(and(eq(pc.tenantId, tenantId), eq(pc.provider, provider)))
    .returning({ id: pc.id });
  if (!deleted.length) throw new AiInputError('provider', 'no key stored for this provider', 404);
  await appendAudit(tx, tenantId, {
    actorUserId: actor,
    action: 'provider_key.delete',
    resourceType: 'provider_key',
    resourceId: provider,
  });
}

/** The tenant's own keys, decrypted for one request; they override the platform's. */
export async function tenantCredentials(
  tx: Tx,
  tenantId: string,
  cipher: KeyCipher,
): Promise<CredentialsByProvider> {
  const rows = await tx.select().from(pc).where(eq(pc.tenantId, tenantId));
  const out: CredentialsByProvider = {};
  for (const row of rows)
    out[row.provider] = {
      apiKey: cipher.decrypt(row.keyCiphertext, context(tenantId, row.provider)),
      ...(row.baseUrl ? { baseURL: row.baseUrl } : {}),
    };
  return out;
}

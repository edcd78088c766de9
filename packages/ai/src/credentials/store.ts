import {
  type ActorLike,
  actorUserIdOf,
  appendAudit,
  asAuditActor,
  auditChanges,
  schema,
  type Tx,
} from '@platform/db';
import { and, eq } from 'drizzle-orm';
import { AiInputError } from '../input-error.ts';
import type { ProviderName } from '../providers/model-ref.ts';
import type { CredentialsByProvider } from '../providers/registry.ts';
import { baseUrlProblem } from './base-url.ts';
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
  // Before any request leaves: no tenant may point the server at its cloud's metadata service.
  const problem = baseUrl ? await baseUrlProblem(baseUrl) : null;
  if (problem) throw new AiInputError('baseUrl', problem);
  const check = await validateProviderKey(provider, apiKey, baseUrl);
  if (!check.ok) throw new AiInputError('apiKey', check.reason);
}

export async function saveProviderKey(
  tx: Tx,
  tenantId: string,
  cipher: KeyCipher,
  input: { provider: VendorName; apiKey: string; baseUrl?: string | undefined },
  actor: ActorLike,
): Promise<void> {
  const [before] = await tx
    .select({ keyHint: pc.keyHint, baseUrl: pc.baseUrl })
    .from(pc)
    .where(and(eq(pc.tenantId, tenantId), eq(pc.provider, input.provider)))
    .for('update');
  const values = {
    baseUrl: input.baseUrl ?? null,
    keyCiphertext: cipher.encrypt(input.apiKey, context(tenantId, input.provider)),
    keyHint: keyHint(input.apiKey),
    validatedAt: new Date(),
    createdBy: actorUserIdOf(actor),
  };
  await tx
    .insert(pc)
    .values({ tenantId, provider: input.provider, ...values })
    .onConflictDoUpdate({
      target: [pc.tenantId, pc.provider],
      set: { ...values, updatedAt: new Date() },
    });
  // The key always changes, so its hint (last four characters, never the key) is always in
  // the entry; the address only when it changed.
  const changes = auditChanges(before, { baseUrl: values.baseUrl }, ['baseUrl']);
  await appendAudit(tx, tenantId, {
    ...asAuditActor(actor),
    action: 'provider_key.set',
    resourceType: 'provider_key',
    resourceId: input.provider,
    metadata: {
      before: { keyHint: before?.keyHint ?? null, ...changes.before },
      after: { keyHint: values.keyHint, ...changes.after },
    },
  });
}

export async function removeProviderKey(
  tx: Tx,
  tenantId: string,
  provider: VendorName,
  actor: ActorLike,
) {
  const [deleted] = await tx
    .delete(pc)
    .where(and(eq(pc.tenantId, tenantId), eq(pc.provider, provider)))
    .returning({ keyHint: pc.keyHint, baseUrl: pc.baseUrl });
  if (!deleted) throw new AiInputError('provider', 'no key stored for this provider', 404);
  await appendAudit(tx, tenantId, {
    ...asAuditActor(actor),
    action: 'provider_key.removed',
    resourceType: 'provider_key',
    resourceId: provider,
    metadata: { before: deleted },
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

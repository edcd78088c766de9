import {
  type ActorLike,
  actorUserIdOf,
  appendAudit,
  asAuditActor,
  auditChanges,
  schema,
  type Tx,
} from '@platform/db';
import type { PersonalitySnapshot } from '@platform/db/schema';
import { assertCollection } from '@platform/knowledge';
import { and, asc, desc, eq, ne } from 'drizzle-orm';
import { AiInputError } from '../input-error.ts';
import type { PersonalityFields, PersonalityPatch } from './input.ts';

const p = schema.aiPersonalities;
const v = schema.aiPersonalityVersions;

export type Personality = typeof p.$inferSelect;

export const DEFAULT_SYSTEM_PROMPT =
  'You are a helpful, accurate assistant for this organisation. Answer from the knowledge-base passages provided, cite them as [n], and say plainly when they do not contain the answer.';

const snapshotOf = (row: Personality): PersonalitySnapshot => ({
  name: row.name,
  description: row.description,
  systemPrompt: row.systemPrompt,
  tone: row.tone,
  language: row.language,
  greeting: row.greeting,
  temperature: row.temperature,
  minTier: row.minTier,
  maxTier: row.maxTier,
  collectionId: row.collectionId,
});

function checkTiers(minTier: number, maxTier: number): void {
  if (minTier > maxTier)
    throw new AiInputError('minTier', `minTier (${minTier}) must not exceed maxTier (${maxTier})`);
}

/** What an audit entry compares between two versions (the snapshot and the default flag). */
const AUDITED_FIELDS = [
  'name',
  'description',
  'systemPrompt',
  'tone',
  'language',
  'greeting',
  'temperature',
  'minTier',
  'maxTier',
  'collectionId',
  'isDefault',
] as const;

async function saveVersion(tx: Tx, row: Personality, actor: ActorLike): Promise<void> {
  await tx.insert(v).values({
    tenantId: row.tenantId,
    personalityId: row.id,
    version: row.version,
    snapshot: snapshotOf(row),
    createdBy: actorUserIdOf(actor),
  });
}

/** Only one default per tenant: making one the default clears the flag on the others first. */
async function clearDefault(tx: Tx, tenantId: string, except?: string): Promise<void> {
  await tx
    .update(p)
    .set({ isDefault: false })
    .where(
      and(eq(p.tenantId, tenantId), eq(p.isDefault, true), ...(except ? [ne(p.id, except)] : [])),
    );
}

export async function getPersonality(
  tx: Tx,
  tenantId: string,
  id: string,
  field = 'id',
): Promise<Personality> {
  const [row] = await tx
    .select()
    .from(p)
    .where(and(eq(p.tenantId, tenantId), eq(p.id, id)));
  if (!row) throw new AiInputError(field, 'personality not found', 404);
  return row;
}

/** The tenant's default personality, created on first use so every tenant has one. */
export async function defaultPersonality(tx: Tx, tenantId: string): Promise<Personality> {
  const [existing] = await tx
    .select()
    .from(p)
    .where(and(eq(p.tenantId, tenantId), eq(p.isDefault, true)));
  if (existing) return existing;
  const [created] = await tx
    .insert(p)
    .values({ tenantId, name: 'Assistant', systemPrompt: DEFAULT_SYSTEM_PROMPT, isDefault: true })
    .onConflictDoNothing()
    .returning();
  if (created) {
    await saveVersion(tx, created, null);
    return created;
  }
  // Another transaction created it first.
  const [winner] = await tx
    .select()
    .from(p)
    .where(and(eq(p.tenantId, tenantId), eq(p.isDefault, true)));
  if (!winner) throw new Error('default personality vanished');
  return winner;
}

/** The personality a caller named (404 on `field` when it is not theirs), else the default. */
export async function personalityOrDefault(
  tx: Tx,
  tenantId: string,
  id: string | undefined,
  field = 'personalityId',
): Promise<Personality> {
  return id ? getPersonality(tx, tenantId, id, field) : defaultPersonality(tx, tenantId);
}

export async function listPersonalities(tx: Tx, tenantId: string): Promise<Personality[]> {
  await defaultPersonality(tx, tenantId);
  return tx
    .select()
    .from(p)
    .where(eq(p.tenantId, tenantId))
    .orderBy(desc(p.isDefault), asc(p.name), asc(p.id));
}

export async function createPersonality(
  tx: Tx,
  tenantId: string,
  fields: PersonalityFields,
  actor: ActorLike,
): Promise<Personality> {
  checkTiers(fields.minTier ?? 1, fields.maxTier ?? 3);
  if (fields.collectionId) await assertCollection(tx, fields.collectionId);
  // A tenant always has a default: the new one, or the built-in one created on first use.
  if (fields.isDefault) await clearDefault(tx, tenantId);
  else await defaultPersonality(tx, tenantId);
  const [row] = await tx
    .insert(p)
    .values({ tenantId, ...fields, isDefault: fields.isDefault ?? false })
    .returning();
  if (!row) throw new Error('createPersonality: insert returned no row');
  await saveVersion(tx, row, actor);
  await appendAudit(tx, tenantId, {
    ...asAuditActor(actor),
    action: 'personality.created',
    resourceType: 'personality',
    resourceId: row.id,
    metadata: { version: row.version, after: { name: row.name, isDefault: row.isDefault } },
  });
  return row;
}

/**
 * Applies an edit as a new version: the row moves to version n+1, the snapshot is kept, and
 * answers cached for earlier versions are dropped (they were written under the old prompt).
 */
export async function updatePersonality(
  tx: Tx,
  tenantId: string,
  id: string,
  patch: PersonalityPatch,
  actor: ActorLike,
): Promise<Personality> {
  const [current] = await tx
    .select()
    .from(p)
    .where(and(eq(p.tenantId, tenantId), eq(p.id, id)))
    .for('update');
  if (!current) throw new AiInputError('id', 'personality not found', 404);
  checkTiers(patch.minTier ?? current.minTier, patch.maxTier ?? current.maxTier);
  if (patch.collectionId) await assertCollection(tx, patch.collectionId);
  if (patch.isDefault === false && current.isDefault)
    throw new AiInputError('isDefault', 'make another personality the default instead', 409);
  if (patch.isDefault) await clearDefault(tx, tenantId, id);
  const [row] = await tx
    .update(p)
    .set({ ...patch, version: current.version + 1, updatedAt: new Date() })
    .where(eq(p.id, id))
    .returning();
  if (!row) throw new Error('updatePersonality: update returned no row');
  await saveVersion(tx, row, actor);
  await tx.delete(schema.answerCache).where(eq(schema.answerCache.personalityId, id));
  await appendAudit(tx, tenantId, {
    ...asAuditActor(actor),
    action: 'personality.updated',
    resourceType: 'personality',
    resourceId: id,
    metadata: { version: row.version, ...auditChanges(current, row, AUDITED_FIELDS) },
  });
  return row;
}

export async function removePersonality(tx: Tx, tenantId: string, id: string, actor: ActorLike) {
  const current = await getPersonality(tx, tenantId, id);
  if (current.isDefault)
    throw new AiInputError(
      'id',
      'the default personality cannot be deleted; make another the default first',
      409,
    );
  await tx.delete(p).where(eq(p.id, id));
  await appendAudit(tx, tenantId, {
    ...asAuditActor(actor),
    action: 'personality.deleted',
    resourceType: 'personality',
    resourceId: id,
    metadata: { before: { name: current.name, version: current.version } },
  });
}

export async function listPersonalityVersions(tx: Tx, tenantId: string, id: string) {
  await getPersonality(tx, tenantId, id);
  return tx
    .select({
      version: v.version,
      snapshot: v.snapshot,
      createdBy: v.createdBy,
      createdAt: v.createdAt,
    })
    .from(v)
    .where(and(eq(v.tenantId, tenantId), eq(v.personalityId, id)))
    .orderBy(desc(v.version));
}

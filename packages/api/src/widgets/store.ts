import { getPersonality } from '@platform/ai';
import {
  type ActorLike,
  appendAudit,
  asAuditActor,
  auditChanges,
  prefixed,
  schema,
  type Tx,
} from '@platform/db';
import { assertCollection } from '@platform/knowledge';
import { and, asc, desc, eq } from 'drizzle-orm';
import { DomainError } from '../errors.ts';
import type { WidgetFields, WidgetPatch } from './fields.ts';
import { newPublicKey } from './public-key.ts';
import {
  mergeSettings,
  resolveWidgetSettings,
  storedSettings,
  type WidgetSettings,
} from './settings.ts';

const w = schema.widgets;
type Row = typeof w.$inferSelect;

/**
 * A widget's audited state: its columns (never the public key: rotations are their own entry)
 * and each setting on its own, so an entry names the one colour that changed.
 */
const audited = (row: Row): Record<string, unknown> => ({
  name: row.name,
  allowedOrigins: row.allowedOrigins,
  isActive: row.isActive,
  personalityId: row.personalityId,
  collectionId: row.collectionId,
  ...prefixed('settings', row.settings),
});

const changesOf = (before: Row, after: Row) => {
  const was = audited(before);
  const now = audited(after);
  return auditChanges(was, now, [...new Set([...Object.keys(was), ...Object.keys(now)])]);
};

/** Another tenant's widget looks exactly like one that does not exist. */
const notFound = () => new DomainError('NOT_FOUND', 'Widget not found', 'id');

/** A widget as members see it: settings with their defaults filled in. */
export type Widget = Omit<Row, 'tenantId' | 'settings'> & { settings: WidgetSettings };

const view = ({ tenantId: _tenant, settings, ...rest }: Row): Widget => ({
  ...rest,
  settings: resolveWidgetSettings(settings),
});

/**
 * The personality and collection must be the caller's: each look-up runs under the tenant's
 * row-level security, and a miss is a 404 naming the field (another tenant's id looks unknown).
 */
async function checkReferences(tx: Tx, tenantId: string, fields: WidgetPatch): Promise<void> {
  if (fields.personalityId)
    await getPersonality(tx, tenantId, fields.personalityId, 'personalityId');
  if (fields.collectionId) await assertCollection(tx, fields.collectionId);
}

async function rowFor(tx: Tx, tenantId: string, id: string, lock = false): Promise<Row> {
  const query = tx
    .select()
    .from(w)
    .where(and(eq(w.tenantId, tenantId), eq(w.id, id)));
  const [row] = lock ? await query.for('update') : await query;
  if (!row) throw notFound();
  return row;
}

export async function listWidgets(tx: Tx, tenantId: string): Promise<Widget[]> {
  const rows = await tx
    .select()
    .from(w)
    .where(eq(w.tenantId, tenantId))
    .orderBy(desc(w.createdAt), asc(w.id));
  return rows.map(view);
}

export async function getWidget(tx: Tx, tenantId: string, id: string): Promise<Widget> {
  return view(await rowFor(tx, tenantId, id));
}

export async function createWidget(
  tx: Tx,
  tenantId: string,
  fields: WidgetFields,
  /** The admin creating it; null for the platform itself (the demo seed). */
  actor: ActorLike,
): Promise<Widget> {
  await checkReferences(tx, tenantId, fields);
  const { settings, ...columns } = fields;
  const [row] = await tx
    .insert(w)
    .values({
      ...columns,
      tenantId,
      publicKey: newPublicKey(),
      settings: mergeSettings({}, settings ?? {}),
    })
    .returning();
  if (!row) throw new Error('createWidget: insert returned no row');
  await appendAudit(tx, tenantId, {
    ...asAuditActor(actor),
    action: 'widget.created',
    resourceType: 'widget',
    resourceId: row.id,
    metadata: { after: { name: row.name, allowedOrigins: row.allowedOrigins } },
  });
  return view(row);
}

/** Changes what the patch names; settings merge into the stored ones field by field. */
export async function updateWidget(
  tx: Tx,
  tenantId: string,
  id: string,
  patch: WidgetPatch,
  actor: ActorLike,
): Promise<Widget> {
  const current = await rowFor(tx, tenantId, id, true);
  await checkReferences(tx, tenantId, patch);
  const { settings, ...columns } = patch;
  const [row] = await tx
    .update(w)
    .set({
      ...columns,
      ...(settings ? { settings: mergeSettings(storedSettings(current.settings), settings) } : {}),
      updatedAt: new Date(),
    })
    .where(and(eq(w.tenantId, tenantId), eq(w.id, id)))
    .returning();
  if (!row) throw new Error('updateWidget: update returned no row');
  await appendAudit(tx, tenantId, {
    ...asAuditActor(actor),
    action: 'widget.updated',
    resourceType: 'widget',
    resourceId: id,
    metadata: changesOf(current, row),
  });
  return view(row);
}

/** Deletes a widget; its key stops working, and its conversations stay (widget id cleared). */
export async function removeWidget(tx: Tx, tenantId: string, id: string, actor: ActorLike) {
  const [row] = await tx
    .delete(w)
    .where(and(eq(w.tenantId, tenantId), eq(w.id, id)))
    .returning({ name: w.name });
  if (!row) throw notFound();
  await appendAudit(tx, tenantId, {
    ...asAuditActor(actor),
    action: 'widget.deleted',
    resourceType: 'widget',
    resourceId: id,
    metadata: { before: { name: row.name } },
  });
}

/**
 * Gives the widget a new public key. The old one is refused as soon as this commits (the
 * public look-up reads the row, with no cache); pages must embed the new one.
 */
export async function rotateWidgetKey(
  tx: Tx,
  tenantId: string,
  id: string,
  actor: ActorLike,
): Promise<Widget> {
  const [row] = await tx
    .update(w)
    .set({ publicKey: newPublicKey(), updatedAt: new Date() })
    .where(and(eq(w.tenantId, tenantId), eq(w.id, id)))
    .returning();
  if (!row) throw notFound();
  await appendAudit(tx, tenantId, {
    ...asAuditActor(actor),
    action: 'widget.key_rotated',
    resourceType: 'widget',
    resourceId: id,
  });
  return view(row);
}

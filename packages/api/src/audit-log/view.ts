import type { EntryRow } from './entries.ts';

/** An entry as admins see it: the actor as one object (name and email when a member). */
export const entryView = (row: EntryRow) => ({
  id: row.id,
  createdAt: row.createdAt,
  action: row.action,
  actor: {
    type: row.actorType,
    userId: row.actorUserId,
    name: row.actorName,
    email: row.actorEmail,
  },
  resourceType: row.resourceType,
  resourceId: row.resourceId,
  ipAddress: row.ipAddress,
  userAgent: row.userAgent,
  metadata: row.metadata,
});

export type AuditLogEntry = ReturnType<typeof entryView>;

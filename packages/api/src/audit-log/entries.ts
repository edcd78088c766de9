import { schema, type Tx } from '@platform/db';
import { and, eq, type SQL, sql } from 'drizzle-orm';
import { newestFirst } from './filters.ts';

const a = schema.auditLogs;
const u = schema.users;

/**
 * Audit entries with the actor's name and email. The join sees only users who are members of
 * this tenant (row-level security on users), so a former member or an actor from elsewhere
 * shows as an id alone.
 */
export function selectEntries(tx: Tx, where: SQL[], limit: number) {
  return tx
    .select({
      id: a.id,
      createdAt: a.createdAt,
      // Full precision for the cursor: a JavaScript Date keeps only milliseconds.
      at: sql<string>`to_char(${a.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
      actorType: a.actorType,
      actorUserId: a.actorUserId,
      actorName: u.name,
      actorEmail: u.email,
      action: a.action,
      resourceType: a.resourceType,
      resourceId: a.resourceId,
      ipAddress: a.ipAddress,
      userAgent: a.userAgent,
      metadata: a.metadata,
    })
    .from(a)
    .leftJoin(u, eq(u.id, a.actorUserId))
    .where(and(...where))
    .orderBy(...newestFirst)
    .limit(limit);
}

export type EntryRow = Awaited<ReturnType<typeof selectEntries>>[number];

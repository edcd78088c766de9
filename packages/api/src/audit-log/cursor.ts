import { schema } from '@platform/db';
import { type SQL, sql } from 'drizzle-orm';
import { DomainError } from '../errors.ts';

const a = schema.auditLogs;

/** `<created_at with microseconds>|<id>` of a page's last entry, inside the opaque cursor. */
const POSITION =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

const badCursor = () =>
  new DomainError('BAD_REQUEST', 'cursor: must be a nextCursor from a previous page', 'cursor');

/** The cursor for the page after the entry at `at` (microseconds, UTC) with this id. */
export const encodeCursor = (at: string, id: string) =>
  Buffer.from(`${at}|${id}`).toString('base64url');

/** Entries after the cursor's position (newest first); a cursor we did not issue is a 400. */
export function afterCursor(cursor: string): SQL {
  const match = POSITION.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const at = match?.[1];
  const id = match?.[2];
  // A real instant, so the database never sees 2026-02-30 (or year 0000) and fails with a 500.
  const ms = at ? Date.parse(`${at.slice(0, 23)}Z`) : Number.NaN;
  if (!at || !id || !(ms >= 0) || new Date(ms).toISOString().slice(0, 23) !== at.slice(0, 23))
    throw badCursor();
  return sql`(${a.createdAt}, ${a.id}) < (${at}::timestamptz, ${id}::uuid)`;
}

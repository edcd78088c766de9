import type { AuditEntry } from './audit.ts';

/** Who acted and from where: the part of an audit entry every entry of one request repeats. */
export type AuditActor = Pick<AuditEntry, 'actorType' | 'actorUserId' | 'ipAddress' | 'userAgent'>;

/**
 * What stores take as their `actor` argument: the request's AuditActor, a bare user id (tests,
 * seeds, the CLI), or null for the platform itself.
 */
export type ActorLike = AuditActor | string | null;

export function asAuditActor(actor: ActorLike): AuditActor {
  if (typeof actor === 'string') return { actorType: 'user', actorUserId: actor };
  return actor ?? { actorType: 'system', actorUserId: null };
}

/** The user behind an actor, for `created_by`-style columns; null for the system. */
export const actorUserIdOf = (actor: ActorLike): string | null =>
  typeof actor === 'string' ? actor : (actor?.actorUserId ?? null);

/** Long text (a system prompt) is cut in audit entries; the full text lives in its own history. */
const MAX_AUDITED_STRING = 1000;

const clip = (value: unknown): unknown =>
  typeof value === 'string' && value.length > MAX_AUDITED_STRING
    ? `${value.slice(0, MAX_AUDITED_STRING)}… (${value.length} characters)`
    : value;

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` compare equal. */
const canonical = (value: unknown): string =>
  JSON.stringify(value ?? null, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );

const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

export type AuditChanges = { before: Record<string, unknown>; after: Record<string, unknown> };

/**
 * The fields that differ between two states, as `{ before, after }` holding only those fields
 * (metadata of an audit entry). Only `fields` are compared, so a caller never audits a column it
 * did not mean to (a secret, a ciphertext). A missing state or value reads as null.
 */
export function auditChanges(
  before: object | null | undefined,
  after: object,
  fields: readonly string[],
): AuditChanges {
  const was = (before ?? {}) as Record<string, unknown>;
  const now = after as Record<string, unknown>;
  const out: AuditChanges = { before: {}, after: {} };
  for (const field of fields) {
    const from = was[field] ?? null;
    const to = now[field] ?? null;
    if (same(from, to)) continue;
    out.before[field] = clip(from);
    out.after[field] = clip(to);
  }
  return out;
}

/**
 * An object's keys under a prefix (`settings.theme`), so nested settings are compared one key
 * at a time instead of as one blob.
 */
export function prefixed(prefix: string, value: unknown): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [`${prefix}.${k}`, v]));
}

import type { ApiKeyGrant } from '@platform/auth';
import type { schema } from '@platform/db';
import { z } from 'zod';
import { DomainError } from './errors.ts';

type MemberRole = (typeof schema.memberRoles)[number];

/**
 * The resources a key's scope may name, each with the routers (first segment of a procedure
 * path, or of a REST path under /api/v1) that make it up. A router listed nowhere here
 * (apiKeys, and any router added later) cannot be called with an API key at all: key
 * management and anything account-related need a person's session, so a leaked key can never
 * mint its own successor. Add a new router here to open it to keys.
 */
export const API_KEY_RESOURCES = {
  knowledge: ['knowledge', 'collections'],
  conversations: ['conversations', 'chat'],
  widgets: ['widgets'],
  personalities: ['personalities'],
  ai: ['ai'],
  costs: ['costs', 'budgets', 'alerts'],
  organisation: ['tenants', 'users', 'providerKeys'],
} as const satisfies Record<string, readonly string[]>;

type Resource = keyof typeof API_KEY_RESOURCES;
const RESOURCES = Object.keys(API_KEY_RESOURCES) as Resource[];

/**
 * Every scope a key may hold, in one place: `read` (queries everywhere), `write` (queries and
 * mutations everywhere), `admin` (also what needs the admin role), or one resource's
 * `<resource>:read` / `<resource>:write`.
 */
export const API_KEY_SCOPES: readonly string[] = [
  'read',
  'write',
  'admin',
  ...RESOURCES.flatMap((r) => [`${r}:read`, `${r}:write`]),
];
const KNOWN = new Set(API_KEY_SCOPES);

/** A key's scopes as input: at least one, each known (a 400 naming `scopes`), duplicates dropped. */
export const apiKeyScopesInput = z
  .array(z.string().max(64), { message: 'must be a list of scopes' })
  .min(1, { message: 'must list at least one scope' })
  .max(API_KEY_SCOPES.length, { message: 'lists too many scopes' })
  .superRefine((scopes, ctx) => {
    const unknown = scopes.find((s) => !KNOWN.has(s));
    if (unknown !== undefined)
      ctx.addIssue({
        code: 'custom',
        message: `unknown scope "${unknown.slice(0, 64)}"; use ${API_KEY_SCOPES.join(', ')}`,
      });
  })
  .transform((scopes) => [...new Set(scopes)]);

const resourceOf = (router: string): Resource | undefined =>
  RESOURCES.find((r) => (API_KEY_RESOURCES[r] as readonly string[]).includes(router));

function grants(scopes: readonly string[], resource: Resource, need: 'read' | 'write'): boolean {
  const has = (s: string) => scopes.includes(s);
  if (has('admin') || has('write') || has(`${resource}:write`)) return true;
  return need === 'read' && (has('read') || has(`${resource}:read`));
}

/**
 * Refuses (403 naming `scope`) a call the key's scopes do not cover: `router` is the first
 * segment of the procedure or REST path; `need` is read for queries (GET), write otherwise.
 */
export function assertKeyMay(
  grant: ApiKeyGrant,
  router: string,
  need: 'read' | 'write',
  what: string,
): void {
  const resource = resourceOf(router);
  if (!resource)
    throw new DomainError('FORBIDDEN', `API keys cannot call ${what}; sign in instead`, 'scope');
  if (!grants(grant.scopes, resource, need))
    throw new DomainError(
      'FORBIDDEN',
      `This API key's scopes do not allow ${what} (needs ${need} or ${resource}:${need})`,
      'scope',
    );
}

/** assertKeyMay for a tRPC procedure: queries read, mutations (and anything else) write. */
export const assertKeyMayCall = (grant: ApiKeyGrant, path: string, type: string) =>
  assertKeyMay(grant, path.split('.')[0] ?? '', type === 'query' ? 'read' : 'write', path);

const RANK: Record<MemberRole, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/**
 * The role a key acts with in its tenant: admin with the `admin` scope, else member, and
 * never more than its creator holds now (a demoted creator's keys are demoted with them;
 * a key never acts as an owner).
 */
export function apiKeyRole(grant: ApiKeyGrant, creatorRole: MemberRole): MemberRole {
  const cap: MemberRole = grant.scopes.includes('admin') ? 'admin' : 'member';
  return RANK[creatorRole] < RANK[cap] ? creatorRole : cap;
}

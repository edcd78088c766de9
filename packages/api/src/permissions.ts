import type { MemberRole } from './procedures.ts';

/**
 * Who may call what: the one permission matrix. Every procedure is listed (the server refuses
 * an unlisted one, and a test fails on it), with the least that calling it takes:
 * - `public`: anyone;
 * - `signed-in`: a session (or API key) with or without an organisation;
 * - `member`, `admin`, `owner`: that role or a higher one in the caller's organisation.
 * Visitors of a widget never reach tRPC (they use /api/v1 with their token).
 */
export type Permission = 'public' | 'signed-in' | MemberRole;

const RANK: Record<MemberRole, number> = { member: 1, admin: 2, owner: 3 };

/** Whether `role` holds at least `needed`. */
export const roleAllows = (role: MemberRole, needed: Permission): boolean =>
  needed === 'public' || needed === 'signed-in' || RANK[role] >= RANK[needed];

export const PERMISSIONS: Record<string, Permission> = {
  // The organisation and its people
  'tenants.current': 'member',
  'users.me': 'member',
  'users.list': 'member',
  'users.updateRole': 'admin',

  // Knowledge
  'knowledge.list': 'member',
  'knowledge.get': 'member',
  'knowledge.search': 'member',
  'knowledge.upload': 'admin',
  'knowledge.update': 'admin',
  'knowledge.remove': 'admin',
  'collections.list': 'member',
  'collections.create': 'admin',
  'collections.remove': 'admin',

  // The assistant
  'personalities.list': 'member',
  'personalities.get': 'member',
  'personalities.versions': 'member',
  'personalities.create': 'admin',
  'personalities.update': 'admin',
  'personalities.remove': 'admin',
  'ai.route': 'member',
  'ai.answer': 'member',

  // Money
  'costs.summary': 'member',
  'costs.events': 'member',
  'budgets.get': 'member',
  'budgets.set': 'admin',
  'alerts.list': 'member',
  'alerts.ack': 'admin',
  'providerKeys.list': 'admin',
  'providerKeys.set': 'admin',
  'providerKeys.remove': 'admin',

  // Conversations
  'conversations.create': 'member',
  'conversations.get': 'member',
  'conversations.list': 'member',
  'conversations.messages': 'member',
  'conversations.requestHuman': 'member',
  'conversations.claim': 'member',
  'conversations.release': 'member',
  'conversations.resolve': 'member',
  'conversations.reopen': 'member',
  'conversations.tag': 'member',
  'conversations.rate': 'member',
  'conversations.handoffRules': 'member',
  'conversations.setHandoffRules': 'admin',
  'chat.send': 'member',
  'chat.stop': 'member',

  // The website widget
  'widgets.list': 'member',
  'widgets.get': 'member',
  'widgets.create': 'admin',
  'widgets.update': 'admin',
  'widgets.remove': 'admin',
  'widgets.rotateKey': 'admin',

  // API keys (a person's session only: keys cannot manage keys, see api-key-scopes.ts)
  'apiKeys.list': 'admin',
  'apiKeys.create': 'admin',
  'apiKeys.revoke': 'admin',

  // Two-factor authentication (enrolment itself is Better Auth's /api/auth/two-factor/*)
  'mfa.status': 'signed-in',
  'mfa.setPolicy': 'admin',

  // Single sign-on: admins see the connections; only owners change who may sign in and join
  'sso.list': 'admin',
  'sso.create': 'owner',
  'sso.update': 'owner',
  'sso.remove': 'owner',

  // One's own sessions; an admin ends a member's
  'sessions.list': 'signed-in',
  'sessions.revoke': 'signed-in',
  'sessions.revokeOthers': 'signed-in',
  'users.revokeSessions': 'admin',

  // The audit log
  'audit.list': 'admin',
  'audit.export': 'admin',

  // GDPR: one's own export and erasure; the organisation's (admins export, owners erase)
  'privacy.requests': 'member',
  'privacy.requestExport': 'member',
  'privacy.requestDeletion': 'member',
  'privacy.cancelDeletion': 'member',
  'privacy.tenantRequests': 'admin',
  'privacy.requestTenantExport': 'admin',
  'privacy.requestTenantDeletion': 'owner',
};

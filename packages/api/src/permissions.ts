import type { MemberRole } from './procedures.ts';

/**
 * Who may call what: the one permission matrix. Every procedure is listed (the server refuses
 * an unlisted one, and a test fails on it), with the least that calling it takes:
 * - `public`: anyone;
 * - `signed-in`: a session (or API key) with or without an organisation;
 * - `viewer`, `member`, `admin`, `owner`: that role or a higher one in the caller's
 *   organisation. A viewer (auditors, stakeholders) reads what a member reads and changes
 *   nothing of the organisation's: no questions to the assistant (they spend its budget), no
 *   conversations; they keep their own rights (sessions, their GDPR export and erasure).
 * Visitors of a widget never reach tRPC (they use /api/v1 with their token).
 */
export type Permission = 'public' | 'signed-in' | MemberRole;

const RANK: Record<MemberRole, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/** Whether `role` holds at least `needed`. */
export const roleAllows = (role: MemberRole, needed: Permission): boolean =>
  needed === 'public' || needed === 'signed-in' || RANK[role] >= RANK[needed];

export const PERMISSIONS: Record<string, Permission> = {
  // The organisation and its people
  'tenants.current': 'viewer',
  'users.me': 'viewer',
  'users.list': 'viewer',
  'users.updateRole': 'admin',
  'users.remove': 'admin',
  'users.removed': 'admin',
  'users.readmit': 'admin',

  // Knowledge
  'knowledge.list': 'viewer',
  'knowledge.get': 'viewer',
  'knowledge.search': 'viewer',
  'knowledge.upload': 'admin',
  'knowledge.update': 'admin',
  'knowledge.remove': 'admin',
  'collections.list': 'viewer',
  'collections.create': 'admin',
  'collections.remove': 'admin',

  // The assistant
  'personalities.list': 'viewer',
  'personalities.get': 'viewer',
  'personalities.versions': 'viewer',
  'personalities.create': 'admin',
  'personalities.update': 'admin',
  'personalities.remove': 'admin',
  'ai.route': 'member',
  'ai.answer': 'member',

  // Money
  'costs.summary': 'viewer',
  'costs.events': 'viewer',
  'budgets.get': 'viewer',
  'budgets.set': 'admin',
  'alerts.list': 'viewer',
  'alerts.ack': 'admin',
  'providerKeys.list': 'admin',
  'providerKeys.set': 'admin',
  'providerKeys.remove': 'admin',

  // Conversations
  'conversations.create': 'member',
  'conversations.get': 'viewer',
  'conversations.list': 'viewer',
  'conversations.messages': 'viewer',
  'conversations.requestHuman': 'member',
  'conversations.claim': 'member',
  'conversations.release': 'member',
  'conversations.resolve': 'member',
  'conversations.reopen': 'member',
  'conversations.tag': 'member',
  'conversations.rate': 'member',
  'conversations.handoffRules': 'viewer',
  'conversations.setHandoffRules': 'admin',
  'chat.send': 'member',
  'chat.stop': 'member',

  // The website widget
  'widgets.list': 'viewer',
  'widgets.get': 'viewer',
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
  'privacy.requests': 'viewer',
  'privacy.requestExport': 'viewer',
  'privacy.requestDeletion': 'viewer',
  'privacy.cancelDeletion': 'viewer',
  'privacy.tenantRequests': 'admin',
  'privacy.requestTenantExport': 'admin',
  'privacy.requestTenantDeletion': 'owner',
};

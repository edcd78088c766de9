import { schema } from '@platform/db';

const k = schema.apiKeys;

/** Every column a member may see: never key_hash (and the key itself is never stored). */
export const apiKeyColumns = {
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  scopes: k.scopes,
  rateLimitPerMinute: k.rateLimitPerMinute,
  createdBy: k.createdBy,
  createdAt: k.createdAt,
  lastUsedAt: k.lastUsedAt,
  expiresAt: k.expiresAt,
  revokedAt: k.revokedAt,
};

type Row = {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  rateLimitPerMinute: number | null;
  createdBy: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
};

export type ApiKeyView = Row & { status: 'active' | 'expired' | 'revoked' };

export const apiKeyView = (row: Row, now = new Date()): ApiKeyView => ({
  ...row,
  status: row.revokedAt
    ? 'revoked'
    : row.expiresAt && row.expiresAt.getTime() <= now.getTime()
      ? 'expired'
      : 'active',
});

/** The durable queue GDPR requests run on (packages/db jobs: retried after a crash). */
export const PRIVACY_QUEUE = 'privacy';

/** `run` carries a request out; `expire-archive` deletes an export's archive when it expires. */
export type PrivacyStep = 'run' | 'expire-archive';

export type PrivacyJobPayload = { requestId: string; step: PrivacyStep };

/** Attempts before a request is marked failed (backoff 2 s, 4 s, 8 s ... between them). */
export const PRIVACY_MAX_ATTEMPTS = 8;

export const DAY_MS = 86_400_000;

/** What an erased person is called wherever their name stood. */
export const DELETED_USER = 'Deleted user';

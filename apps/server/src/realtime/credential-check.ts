import { type IdentityResolver, liveApiKeys } from '@platform/auth';
import type { Database } from '@platform/db';
import type { Connection } from './connection.ts';

/** Close code for a socket whose session or API key ended; the client signs in again. */
export const CLOSE_CREDENTIAL_ENDED = 4401;
/** Tenants whose keys are checked at the same time (each check is one tenant transaction). */
const TENANT_CONCURRENCY = 4;

type Log = { warn(obj: object, msg?: string): void };

/**
 * One heartbeat round's check of what opened the member sockets, batched so that the cost
 * follows the number of credentials, not of sockets:
 * - every session behind a cookie socket is read afresh in one auth transaction (one
 *   statement per thousand sessions), however many sockets share it; a session signed out,
 *   revoked or past a limit on any instance closes its sockets (4401) at this round;
 * - every API key behind a key socket is read afresh, one query per tenant for all of its keys:
 *   revoked or expired (on any instance, whatever API_KEY_CACHE_SECONDS), or its creator no
 *   longer a member, closes its sockets (4401).
 * Nothing is cached between rounds, so the bound is one heartbeat on every instance. A
 * failed read (database unreachable) keeps sockets open and is logged; the next round retries.
 */
export function createCredentialCheck(deps: {
  identity: IdentityResolver;
  db: Database;
  log: Log;
}) {
  const closeAll = (sockets: Connection[] | undefined, reason: string) => {
    for (const c of sockets ?? []) c.ws.close(CLOSE_CREDENTIAL_ENDED, reason);
  };

  async function sessions(byCookie: Map<string, Connection[]>) {
    if (byCookie.size === 0) return;
    try {
      const alive = await deps.identity.aliveAll([...byCookie.keys()]);
      for (const [cookie, sockets] of byCookie)
        if (!alive.has(cookie)) closeAll(sockets, 'session ended');
    } catch (err) {
      deps.log.warn({ err }, 'websocket session check failed');
    }
  }

  async function keysOf(tenantId: string, byKey: Map<string, Connection[]>) {
    try {
      const live = await liveApiKeys(deps.db, tenantId, [...byKey.keys()]);
      for (const [keyId, sockets] of byKey)
        if (!live.has(keyId)) closeAll(sockets, 'api key no longer valid');
    } catch (err) {
      deps.log.warn({ err, tenantId }, 'websocket api key check failed');
    }
  }

  return async (connections: Iterable<Connection>): Promise<void> => {
    const byCookie = new Map<string, Connection[]>();
    const byTenant = new Map<string, Map<string, Connection[]>>();
    const add = <K>(map: Map<K, Connection[]>, key: K, c: Connection) => {
      const list = map.get(key);
      if (list) list.push(c);
      else map.set(key, [c]);
    };
    for (const c of connections) {
      const credential = c.credential;
      if (!credential || !c.open) continue;
      if (credential.kind === 'session') add(byCookie, credential.cookie, c);
      else {
        let byKey = byTenant.get(credential.key.tenantId);
        if (!byKey) {
          byKey = new Map();
          byTenant.set(credential.key.tenantId, byKey);
        }
        add(byKey, credential.key.keyId, c);
      }
    }
    const tenants = [...byTenant];
    const keys = async () => {
      for (let i = 0; i < tenants.length; i += TENANT_CONCURRENCY)
        await Promise.all(
          tenants.slice(i, i + TENANT_CONCURRENCY).map(([t, byKey]) => keysOf(t, byKey)),
        );
    };
    await Promise.all([sessions(byCookie), keys()]);
  };
}

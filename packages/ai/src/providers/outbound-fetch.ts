import {
  ForbiddenAddressError,
  guardedLookup,
  isForbiddenHost,
  normalHost,
  type ResolveAll,
} from '@platform/config';
import { Agent } from 'undici';

/**
 * fetch for URLs a tenant chose (an AI vendor's base URL): it refuses to connect to a
 * link-local or cloud metadata address, checked on the address the socket actually connects
 * to. providerKeys.set checks the URL when it is saved; a name whose DNS answer changed since
 * (DNS rebinding) is caught here, at every request. Loopback and private addresses stay
 * allowed (self-hosted model servers), as in outbound-address.ts.
 */
export function createOutboundFetch(resolve?: ResolveAll): typeof fetch {
  const dispatcher = new Agent({ connect: { lookup: guardedLookup(resolve) } });
  return (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const host = normalHost(new URL(url).hostname);
    // A literal address never reaches the lookup.
    if (isForbiddenHost(host)) return Promise.reject(new ForbiddenAddressError(host));
    return fetch(input, { ...init, dispatcher } as RequestInit);
  };
}

/** The process's guarded fetch (one connection pool for every tenant-chosen endpoint). */
export const outboundFetch = createOutboundFetch();

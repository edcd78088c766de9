import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  ForbiddenAddressError,
  guardedLookup,
  isForbiddenHost,
  type ResolveAll,
} from '@platform/config';
import type { CustomFetch } from 'openid-client';

/** Discovery documents, key sets and token answers are small; a provider sending more is cut off. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Statuses whose responses have no body (the Response constructor refuses one). */
const NULL_BODY = new Set([101, 204, 205, 304]);

/** As fetch reports a request that never got an answer: a TypeError whose cause says why. */
const fetchFailed = (cause: unknown) => new TypeError('fetch failed', { cause });

type FetchBody = Parameters<CustomFetch>[1]['body'];

/** A request body as bytes (openid-client sends form parameters, JSON text or nothing). */
async function bytesOf(body: FetchBody): Promise<Buffer | null> {
  if (body == null) return null;
  if (typeof body === 'string' || body instanceof URLSearchParams) return Buffer.from(String(body));
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  return Buffer.from(await new Response(body).arrayBuffer());
}

function responseOf(res: IncomingMessage, body: Buffer<ArrayBuffer>): Response {
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
    headers.append(res.rawHeaders[i] ?? '', res.rawHeaders[i + 1] ?? '');
  const status = res.statusCode ?? 0;
  return new Response(NULL_BODY.has(status) ? null : new Uint8Array(body), {
    status,
    statusText: res.statusMessage ?? '',
    headers,
  });
}

/**
 * openid-client's requests to identity providers (discovery, key sets, token, UserInfo) over
 * node:http, connecting only through guardedLookup: an issuer whose name resolves, now, to a
 * link-local or cloud metadata address is never connected to, whatever it resolved to when
 * it was saved. Node's own fetch takes no lookup function, hence this small client. Failures
 * look like fetch's (TypeError "fetch failed" with the cause; the signal's reason on
 * timeout), which openid-client reports as it would for fetch.
 */
export function guardedFetch(resolve?: ResolveAll): CustomFetch {
  const lookup = guardedLookup(resolve);
  return async (href, init) => {
    const url = new URL(href);
    if (isForbiddenHost(url.hostname)) throw fetchFailed(new ForbiddenAddressError(url.hostname));
    const send =
      url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : null;
    if (!send) throw fetchFailed(new Error(`${url.protocol} is not http(s)`));
    const body = await bytesOf(init.body);
    const signal = init.signal;
    signal?.throwIfAborted();
    return new Promise<Response>((resolvePromise, reject) => {
      const fail = (err: unknown) => reject(signal?.aborted ? signal.reason : fetchFailed(err));
      const req = send(
        url,
        {
          method: init.method,
          headers: { ...init.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
          lookup,
          // A fresh connection per request: a pooled socket may have been opened by a request
          // that did not go through the guard.
          agent: false,
          ...(signal ? { signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) {
              req.destroy(new Error(`response larger than ${MAX_BODY_BYTES} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', fail);
          res.on('aborted', () => fail(new Error('response aborted')));
          res.on('end', () => {
            try {
              resolvePromise(responseOf(res, Buffer.concat(chunks)));
            } catch (err) {
              fail(err);
            }
          });
        },
      );
      req.on('error', fail);
      req.end(body ?? undefined);
    });
  };
}

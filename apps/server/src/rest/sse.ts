import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** A comment line this often keeps proxies and load balancers from closing a quiet stream. */
export const HEARTBEAT_MS = 15_000;

/**
 * A Server-Sent Events response on a hijacked reply: headers set on the reply so far (CORS,
 * Vary) go out with it, each event is written (and so flushed) as it happens, and writes after
 * the client left are dropped. The caller ends it.
 */
export class EventStream {
  readonly #raw: FastifyReply['raw'];
  readonly #heartbeat: NodeJS.Timeout;

  private constructor(request: FastifyRequest, reply: FastifyReply) {
    reply.hijack();
    this.#raw = reply.raw;
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(reply.getHeaders()))
      if (value !== undefined) headers[name] = value;
    this.#raw.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      'x-request-id': request.id,
    });
    this.#raw.flushHeaders();
    request.raw.socket?.setNoDelay?.(true);
    this.#heartbeat = setInterval(() => this.#write(': ping\n\n'), HEARTBEAT_MS);
    this.#raw.once('close', () => clearInterval(this.#heartbeat));
  }

  static open(request: FastifyRequest, reply: FastifyReply): EventStream {
    return new EventStream(request, reply);
  }

  get open(): boolean {
    return !this.#raw.writableEnded && !this.#raw.destroyed;
  }

  send(event: string, data: unknown): void {
    this.#write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  end(): void {
    clearInterval(this.#heartbeat);
    if (this.open) this.#raw.end();
  }

  #write(chunk: string) {
    if (this.open) this.#raw.write(chunk);
  }
}

/**
 * The WebSocket side of bench/chat-overhead.ts, in its own process (a real client is not in the
 * server's event loop). Driven over IPC by the bench:
 *   { type: 'open', url, cookie, origin }            -> { type: 'opened' }
 *   { type: 'subscribe', conversationId }            -> { type: 'subscribed' }
 *   { type: 'unsubscribe', conversationId }          -> { type: 'unsubscribed' }
 *   { type: 'send', conversationId, text }           -> { type: 'sent', firstDeltaMs, acceptedMs, doneMs, replyId }
 * A send is timed from just before the frame is written until the first `message.delta` event
 * of that conversation arrives; `ack` accepted and done are timed too. Errors come back as
 * { type: 'error', message }.
 */
import WebSocket from 'ws';

type Frame = Record<string, unknown> & { type: string };
type Command =
  | { type: 'open'; url: string; cookie: string; origin: string }
  | { type: 'subscribe'; conversationId: string }
  | { type: 'unsubscribe'; conversationId: string }
  | { type: 'send'; conversationId: string; text: string };

let ws: WebSocket | null = null;
let nextRequest = 0;
/** Frame listeners; one returning true is done and removed. */
const listeners = new Set<(f: Frame, at: number) => boolean>();

const reply = (m: Record<string, unknown>) => process.send?.(m);

function send(frame: Record<string, unknown>): string {
  const requestId = `r${++nextRequest}`;
  ws?.send(JSON.stringify({ v: 1, requestId, ...frame }));
  return requestId;
}

/**
 * Writes a frame and follows what comes back for it: `step` sees every frame (with its arrival
 * time) and returns a result to finish, or undefined to keep listening. An error frame for the
 * request rejects.
 */
function request<T>(
  frame: Record<string, unknown>,
  step: (f: Frame, at: number, requestId: string) => T | undefined,
  timeoutMs = 30_000,
): Promise<{ result: T; started: number }> {
  return new Promise((resolve, reject) => {
    const requestId = `r${nextRequest + 1}`;
    let started = 0;
    const timer = setTimeout(() => {
      listeners.delete(listener);
      reject(new Error(`timed out waiting for the answer to ${String(frame.type)}`));
    }, timeoutMs);
    const listener = (f: Frame, at: number) => {
      if (f.type === 'error' && f.requestId === requestId) {
        clearTimeout(timer);
        reject(new Error(`${String(frame.type)}: ${JSON.stringify(f)}`));
        return true;
      }
      const result = step(f, at, requestId);
      if (result === undefined) return false;
      clearTimeout(timer);
      resolve({ result, started });
      return true;
    };
    listeners.add(listener);
    started = performance.now();
    send(frame);
  });
}

async function handle(cmd: Command) {
  switch (cmd.type) {
    case 'open': {
      const target = new URL('/ws', cmd.url.replace(/^http/, 'ws'));
      const socket = new WebSocket(target, {
        headers: { cookie: cmd.cookie, origin: cmd.origin },
        perMessageDeflate: false,
      });
      socket.on('message', (data) => {
        const at = performance.now();
        const f = JSON.parse(data.toString()) as Frame;
        for (const l of listeners) if (l(f, at)) listeners.delete(l);
      });
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('unexpected-response', (_req, res) =>
          reject(new Error(`upgrade refused: ${res.statusCode}`)),
        );
        socket.once('error', reject);
      });
      socket.on('close', (code, reason) => {
        if (ws === socket) reply({ type: 'closed', code, reason: reason.toString() });
      });
      ws = socket;
      reply({ type: 'opened' });
      return;
    }
    case 'subscribe':
    case 'unsubscribe': {
      const kind = cmd.type;
      await request({ type: kind, conversationId: cmd.conversationId }, (f, _at, id) =>
        f.requestId === id && f.type === `${kind}d` ? true : undefined,
      );
      reply({ type: `${kind}d` });
      return;
    }
    case 'send': {
      let firstAt: number | null = null;
      let acceptedAt: number | null = null;
      let doneAt: number | null = null;
      let replyId: string | null = null;
      const { result, started } = await request(
        { type: 'send', conversationId: cmd.conversationId, text: cmd.text },
        (f, at, id) => {
          if (
            f.type === 'event' &&
            f.event === 'message.delta' &&
            (f.data as { conversationId?: string }).conversationId === cmd.conversationId
          )
            firstAt ??= at;
          else if (f.type === 'ack' && f.requestId === id) {
            const data = f.data as { stage?: string; replyId?: string | null };
            if (data.stage === 'accepted') acceptedAt = at;
            if (data.stage === 'done') {
              doneAt = at;
              replyId = data.replyId ?? null;
            }
          }
          // Deltas go out before the answer is stored, so they precede `done`.
          return doneAt !== null && firstAt !== null
            ? { firstAt, acceptedAt, doneAt, replyId }
            : undefined;
        },
      );
      reply({
        type: 'sent',
        firstDeltaMs: result.firstAt - started,
        acceptedMs: result.acceptedAt === null ? null : result.acceptedAt - started,
        doneMs: result.doneAt - started,
        replyId: result.replyId,
      });
      return;
    }
  }
}

let queue = Promise.resolve();
process.on('message', (cmd: Command) => {
  queue = queue
    .then(() => handle(cmd))
    .catch((err: unknown) => {
      reply({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    });
});
process.on('disconnect', () => {
  ws?.close();
  process.exit(0);
});

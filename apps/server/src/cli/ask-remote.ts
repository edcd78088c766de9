import type { SendOutcome } from '@platform/api';
import { operatorToken } from '@platform/auth';
import type { Config } from '@platform/config';
import { printSummary } from './ask-print.ts';

/** The embedded database is locked by a server process (see the PGlite driver). */
export const isHeldByServer = (error: unknown) =>
  error instanceof Error && /in use by another process/.test(error.message);

type Ask = { slug: string; question: string; json: boolean; conversationId?: string };

const errorText = async (res: Response) => {
  try {
    // REST errors are `{ code, message, field? }`.
    const e = (await res.json()) as { message?: string; field?: string };
    return e?.message ? `${e.field ? `${e.field}: ` : ''}${e.message}` : `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status}`;
  }
};

/**
 * `ask` through the running server on this machine (the operator credential is derived from
 * the shared AUTH_SECRET): the same conversation service, reached over /api/v1 with the answer
 * streamed as Server-Sent Events.
 */
export async function askRunningServer(config: Config, ask: Ask): Promise<number> {
  const base = `http://127.0.0.1:${config.PORT}`;
  const headers = {
    authorization: `Operator ${operatorToken(config.AUTH_SECRET)}`,
    'x-platform-tenant': ask.slug,
    'content-type': 'application/json',
  };
  let res: Response;
  let conversationId = ask.conversationId;
  try {
    if (!conversationId) {
      res = await fetch(`${base}/api/v1/conversations`, { method: 'POST', headers, body: '{}' });
      if (!res.ok) {
        console.error(await errorText(res));
        return res.status === 403 ? 2 : 1;
      }
      conversationId = String(((await res.json()) as { id: string }).id);
    }
    res = await fetch(`${base}/api/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { ...headers, accept: ask.json ? 'application/json' : 'text/event-stream' },
      body: JSON.stringify({ text: ask.question }),
    });
  } catch {
    console.error(
      `The embedded database is in use by a server, and no server answers on ${base}. Stop the other process or set DATABASE_URL.`,
    );
    return 1;
  }
  if (!res.ok || !res.body) {
    console.error(await errorText(res));
    return res.status === 403 ? 2 : 1;
  }
  if (ask.json) {
    console.log(JSON.stringify(await res.json(), null, 2));
    return 0;
  }
  let streamed = '';
  let buffer = '';
  const decoder = new TextDecoder();
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      const event = /^event: (.+)$/m.exec(block)?.[1];
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      if (!event || !data) continue;
      const payload = JSON.parse(data) as Record<string, unknown>;
      if (event === 'delta') {
        streamed += String(payload.delta);
        process.stdout.write(String(payload.delta));
      } else if (event === 'error') {
        console.error(String(payload.message));
        return 1;
      } else if (event === 'done') {
        printSummary(payload as unknown as SendOutcome, streamed, conversationId);
        return 0;
      }
    }
  }
  console.error('The server closed the stream before the answer was complete.');
  return 1;
}

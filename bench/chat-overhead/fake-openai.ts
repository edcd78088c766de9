/**
 * A local OpenAI-compatible server for bench/chat-overhead.ts, run in its own process (as a
 * local vLLM or llama.cpp would be): POST /v1/chat/completions with `stream: true` reads the
 * whole request, then at once writes the role chunk with the first token, and right after (next
 * tick, no delay) the other tokens, the finish chunk, the usage chunk and [DONE], in the shapes
 * OpenAI documents and the AI SDK parses. GET /v1/_last returns the last request body (so the
 * baseline can send exactly what the platform sent). Prints its base URL on stdout.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const TOKENS = Number(process.env.FAKE_TOKENS ?? 20);
const WORDS =
  'The setting is under Admin, then Workspace, as the guide explains in its first section [1]'
    .split(' ')
    .map((w, i) => (i ? ` ${w}` : w));
const pieces = Array.from({ length: TOKENS }, (_, i) => WORDS[i % WORDS.length] as string);

let last = '{}';
let requests = 0;

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/v1/_last') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(last);
    return;
  }
  if (req.method === 'GET' && req.url === '/v1/_count') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ requests }));
    return;
  }
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
    return;
  }
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(parts).toString('utf8');
    let body: { model?: string; stream?: boolean; stream_options?: { include_usage?: boolean } };
    try {
      body = JSON.parse(raw);
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'body is not JSON' } }));
      return;
    }
    last = raw;
    requests++;
    const id = `chatcmpl-${randomBytes(8).toString('hex')}`;
    const created = Math.floor(Date.now() / 1000);
    const model = body.model ?? 'bench-model';
    const usage = body.stream_options?.include_usage;
    const chunk = (choices: unknown[], usageValue?: unknown) =>
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        system_fingerprint: 'fp_bench',
        choices,
        ...(usage ? { usage: usageValue ?? null } : {}),
      })}\n\n`;
    const delta = (d: Record<string, unknown>, finish: string | null = null) => ({
      index: 0,
      delta: d,
      logprobs: null,
      finish_reason: finish,
    });
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: pieces.join('') },
              finish_reason: 'stop',
            },
          ],
          usage: { prompt_tokens: 500, completion_tokens: TOKENS, total_tokens: 500 + TOKENS },
        }),
      );
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.write(chunk([delta({ role: 'assistant', content: pieces[0] })]));
    setImmediate(() => {
      let rest = '';
      for (const p of pieces.slice(1)) rest += chunk([delta({ content: p })]);
      rest += chunk([delta({}, 'stop')]);
      if (usage)
        rest += chunk([], {
          prompt_tokens: Math.ceil(raw.length / 4),
          completion_tokens: TOKENS,
          total_tokens: Math.ceil(raw.length / 4) + TOKENS,
        });
      rest += 'data: [DONE]\n\n';
      res.end(rest);
    });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`http://127.0.0.1:${port}/v1\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('disconnect', () => process.exit(0));

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * The model vendors, faked at the HTTP boundary: one local server that speaks OpenAI chat
 * completions (twice: as OpenAI, and under /compat as an OpenAI-compatible server), Anthropic
 * messages and the Gemini API, JSON and server-sent events, in the shapes the vendors document
 * and the AI SDK parses. Tests script each vendor's replies in order; everything sent is
 * recorded.
 *
 * What the fake refuses on its own, as the real APIs do (these requests are recorded but
 * consume no scripted reply): an unknown path (404), a body that is not JSON or lacks the
 * required fields (400), and a missing key: OpenAI without `authorization: Bearer`, Anthropic
 * without `x-api-key` (401) or `anthropic-version` (400), Google without `x-goog-api-key` or
 * `?key=` (403). The compatible vendor, like a local server, takes requests without a key.
 *
 * Usage in a scripted reply is vendor-neutral: `input` is every input token including the
 * `cached` ones, as OpenAI (`prompt_tokens`) and Google (`promptTokenCount`) count them;
 * Anthropic's wire counts them apart (`input_tokens` = input - cached, plus
 * `cache_read_input_tokens`), and the fake writes it that way.
 */

export type Vendor = 'openai' | 'anthropic' | 'google' | 'compatible';
export type Reply =
  | {
      type: 'text';
      text: string;
      /** Default: 10 input tokens, one output token per word. */
      usage?: { input: number; output: number; cached?: number };
      /** Number of text deltas when streaming (default: one per word). */
      chunks?: number;
      /** Pause between streamed events, to hold an answer open for a while (default 0). */
      intervalMs?: number;
    }
  | { type: 'status'; status: number; message?: string; headers?: Record<string, string> }
  /** Read the request, never answer until close(). */
  | { type: 'hang' }
  /** Stream headers + `text` as the first text delta, then never finish until close().
   * Without streaming: the status line, headers and half of the JSON body. */
  | { type: 'stall'; text: string };
export interface RecordedRequest {
  vendor: Vendor;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
}
export interface FakeVendors {
  /** Ready to pass as ProviderCredentials.baseURL. */
  baseURLs: Record<Vendor, string>;
  requests: RecordedRequest[];
  /** Consumed in order per vendor; when empty: { type:'text', text:'ok', usage:{input:10,output:2} }. */
  enqueue(vendor: Vendor, ...replies: Reply[]): void;
  /** Clears queues and recorded requests. */
  reset(): void;
  /** Also ends hanging/stalled responses. */
  close(): Promise<void>;
}

const vendors: readonly Vendor[] = ['openai', 'anthropic', 'google', 'compatible'];
const prefixes: Record<Vendor, string> = {
  openai: '/openai',
  compatible: '/compat',
  anthropic: '/anthropic',
  google: '/google',
};
const versionPaths: Record<Vendor, string> = {
  openai: '/v1',
  compatible: '/v1',
  anthropic: '/v1',
  google: '/v1beta',
};

const defaultReply = (): Reply => ({ type: 'text', text: 'ok', usage: { input: 10, output: 2 } });

type Json = Record<string, unknown>;
type Usage = { input: number; output: number; cached: number };
/** What a scripted reply needs to know about the request it answers. */
interface Call {
  model: string;
  stream: boolean;
  /** OpenAI wire: stream_options.include_usage. */
  includeUsage: boolean;
  /** Google: streamGenerateContent without alt=sse answers one JSON array. */
  sse: boolean;
  id: string;
  created: number;
}
interface SseEvent {
  event?: string;
  data: unknown;
}

const isRecord = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmptyArray = (v: unknown): boolean => Array.isArray(v) && v.length > 0;
const randomId = (bytes = 12): string => randomBytes(bytes).toString('hex');

/** Text deltas: `chunks` near-equal slices, or one per word (leading whitespace kept). */
function splitText(text: string, chunks: number | undefined): string[] {
  if (text === '') return [];
  if (chunks === undefined) {
    const words = text.match(/\s*\S+/g);
    if (!words) return [text];
    const rest = text.slice(words.join('').length);
    const last = words.length - 1;
    words[last] = `${words[last] ?? ''}${rest}`;
    return words;
  }
  const chars = Array.from(text);
  const n = Math.max(1, Math.min(Math.floor(chunks), chars.length));
  const pieces: string[] = [];
  for (let i = 0; i < n; i++) {
    pieces.push(
      chars
        .slice(Math.floor((i * chars.length) / n), Math.floor(((i + 1) * chars.length) / n))
        .join(''),
    );
  }
  return pieces;
}

// ---------------------------------------------------------------------------------------------
// OpenAI chat completions (and OpenAI-compatible servers)

function openaiUsage(u: Usage): Json {
  return {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cached, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function openaiCompletion(text: string, u: Usage, call: Call): Json {
  return {
    id: `chatcmpl-${call.id}`,
    object: 'chat.completion',
    created: call.created,
    model: call.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: openaiUsage(u),
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  };
}

/** Role chunk, one chunk per delta, the finish chunk, the usage chunk (choices: []), [DONE]. */
function openaiEvents(pieces: string[], u: Usage, call: Call, complete: boolean): SseEvent[] {
  const chunk = (choices: unknown[], usage?: Json): SseEvent => ({
    data: {
      id: `chatcmpl-${call.id}`,
      object: 'chat.completion.chunk',
      created: call.created,
      model: call.model,
      service_tier: 'default',
      system_fingerprint: 'fp_fake',
      choices,
      // With include_usage every chunk carries `usage`, null until the last one.
      ...(call.includeUsage ? { usage: usage ?? null } : {}),
    },
  });
  const choice = (delta: Json, finish: string | null) => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finish,
  });
  const deltas = complete ? pieces : pieces.slice(0, 1);
  const events = [
    chunk([choice({ role: 'assistant', content: '', refusal: null }, null)]),
    ...deltas.map((content) => chunk([choice({ content }, null)])),
  ];
  if (!complete) return events;
  events.push(chunk([choice({}, 'stop')]));
  if (call.includeUsage) events.push(chunk([], openaiUsage(u)));
  events.push({ data: '[DONE]' });
  return events;
}

function openaiError(status: number, message: string | undefined, call: Call | undefined): Json {
  const [type, code, fallback]: [string, string | null, string] =
    status === 401
      ? ['invalid_request_error', 'invalid_api_key', 'Incorrect API key provided.']
      : status === 404
        ? [
            'invalid_request_error',
            'model_not_found',
            `The model \`${call?.model ?? ''}\` does not exist or you do not have access to it.`,
          ]
        : status === 429
          ? ['requests', 'rate_limit_exceeded', 'Rate limit reached for requests.']
          : status >= 500
            ? [
                'server_error',
                null,
                'The server had an error while processing your request. Sorry about that!',
              ]
            : ['invalid_request_error', null, 'Invalid request.'];
  return { error: { message: message ?? fallback, type, param: null, code } };
}

// ---------------------------------------------------------------------------------------------
// Anthropic messages

function anthropicUsage(u: Usage): Json {
  return {
    input_tokens: u.input - u.cached,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: u.cached,
    output_tokens: u.output,
    service_tier: 'standard',
  };
}

function anthropicMessage(text: string, u: Usage, call: Call): Json {
  return {
    id: `msg_${call.id}`,
    type: 'message',
    role: 'assistant',
    model: call.model,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: anthropicUsage(u),
  };
}

/** message_start, content_block_start, ping, content_block_delta…, content_block_stop,
 * message_delta, message_stop; each with its `event:` line. */
function anthropicEvents(pieces: string[], u: Usage, call: Call, complete: boolean): SseEvent[] {
  const ev = (data: Json): SseEvent => ({ event: String(data.type), data });
  const deltas = complete ? pieces : pieces.slice(0, 1);
  const events = [
    ev({
      type: 'message_start',
      message: {
        ...anthropicMessage('', u, call),
        content: [],
        stop_reason: null,
        usage: { ...anthropicUsage(u), output_tokens: 1 },
      },
    }),
    ev({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    ev({ type: 'ping' }),
    ...deltas.map((text) =>
      ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }),
    ),
  ];
  if (!complete) return events;
  events.push(
    ev({ type: 'content_block_stop', index: 0 }),
    ev({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: u.output },
    }),
    ev({ type: 'message_stop' }),
  );
  return events;
}

const anthropicErrorTypes: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

function anthropicError(status: number, message: string | undefined): Json {
  const type =
    anthropicErrorTypes[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  const fallback: Record<string, string> = {
    authentication_error: 'invalid x-api-key',
    rate_limit_error: 'This request would exceed the rate limit for your organization.',
    overloaded_error: 'Overloaded',
    api_error: 'Internal server error',
  };
  return {
    type: 'error',
    error: { type, message: message ?? fallback[type] ?? 'Invalid request' },
    request_id: `req_${randomId()}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Google Gemini API

function googleUsage(u: Usage, complete: boolean): Json {
  return {
    promptTokenCount: u.input,
    ...(complete ? { candidatesTokenCount: u.output } : {}),
    totalTokenCount: u.input + (complete ? u.output : 0),
    // Only present when part of the prompt came from a cache.
    ...(u.cached > 0 ? { cachedContentTokenCount: u.cached } : {}),
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: u.input }],
    ...(u.cached > 0 ? { cacheTokensDetails: [{ modality: 'TEXT', tokenCount: u.cached }] } : {}),
  };
}

function googleResponse(text: string, u: Usage, call: Call, last: boolean): Json {
  return {
    candidates: [
      {
        content: { parts: [{ text }], role: 'model' },
        ...(last ? { finishReason: 'STOP' } : {}),
        index: 0,
      },
    ],
    usageMetadata: googleUsage(u, last),
    modelVersion: call.model,
    responseId: call.id,
  };
}

/** One GenerateContentResponse per delta; the last carries finishReason and the full usage. */
function googleEvents(pieces: string[], u: Usage, call: Call, complete: boolean): SseEvent[] {
  const deltas = complete ? (pieces.length > 0 ? pieces : ['']) : pieces.slice(0, 1);
  return deltas.map((text, i) => ({
    data: googleResponse(text, u, call, complete && i === deltas.length - 1),
  }));
}

const googleStatuses: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

function googleError(status: number, message: string | undefined): Json {
  const code = googleStatuses[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION');
  const fallback: Record<string, string> = {
    RESOURCE_EXHAUSTED: 'Resource has been exhausted (e.g. check quota).',
    INTERNAL:
      'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
    UNAVAILABLE: 'The model is overloaded. Please try again later.',
    UNAUTHENTICATED: 'Request had invalid authentication credentials.',
  };
  return {
    error: { code: status, message: message ?? fallback[code] ?? 'Request failed.', status: code },
  };
}

// ---------------------------------------------------------------------------------------------
// The server

function errorBody(vendor: Vendor, status: number, message?: string, call?: Call): Json {
  switch (vendor) {
    case 'openai':
    case 'compatible':
      return openaiError(status, message, call);
    case 'anthropic':
      return anthropicError(status, message);
    case 'google':
      return googleError(status, message);
  }
}

function vendorHeaders(vendor: Vendor): Record<string, string> {
  switch (vendor) {
    case 'openai':
    case 'compatible':
      return { 'x-request-id': `req_${randomId()}` };
    case 'anthropic':
      return { 'request-id': `req_${randomId()}` };
    case 'google':
      return {};
  }
}

function sendJson(
  res: ServerResponse,
  vendor: Vendor,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    ...vendorHeaders(vendor),
    ...headers,
  });
  res.end(JSON.stringify(body));
}

/** OpenAI and Anthropic end each event with a blank line; Google's SSE uses CRLF. */
function formatEvent(vendor: Vendor, e: SseEvent): string {
  const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
  const eol = vendor === 'google' ? '\r\n' : '\n';
  return `${e.event === undefined ? '' : `event: ${e.event}${eol}`}data: ${data}${eol}${eol}`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Which vendor a path belongs to and, when it is a real endpoint, which one. */
function route(
  pathname: string,
):
  | { vendor: Vendor; endpoint: 'chat' | 'messages' | 'generate' | 'stream' | null; model?: string }
  | undefined {
  const vendor = vendors.find((v) => pathname.startsWith(`${prefixes[v]}/`));
  if (!vendor) return undefined;
  const rest = pathname.slice(prefixes[vendor].length);
  switch (vendor) {
    case 'openai':
    case 'compatible':
      return { vendor, endpoint: rest === '/v1/chat/completions' ? 'chat' : null };
    case 'anthropic':
      return { vendor, endpoint: rest === '/v1/messages' ? 'messages' : null };
    case 'google': {
      const m = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(rest);
      if (!m?.[1]) return { vendor, endpoint: null };
      return {
        vendor,
        endpoint: m[2] === 'generateContent' ? 'generate' : 'stream',
        model: decodeURIComponent(m[1]),
      };
    }
  }
}

/** What the real API refuses before it generates anything; undefined when the request is fine. */
function refusal(
  vendor: Vendor,
  headers: Record<string, string>,
  query: Record<string, string>,
  body: unknown,
): { status: number; message: string } | undefined {
  if (!isRecord(body))
    return { status: 400, message: 'We could not parse the JSON body of your request.' };
  switch (vendor) {
    case 'openai':
    case 'compatible':
      if (vendor === 'openai' && !/^Bearer \S+/.test(headers.authorization ?? ''))
        return {
          status: 401,
          message:
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        };
      if (typeof body.model !== 'string' || body.model === '')
        return { status: 400, message: 'you must provide a model parameter' };
      if (!nonEmptyArray(body.messages))
        return { status: 400, message: "Missing required parameter: 'messages'." };
      return undefined;
    case 'anthropic':
      if (!headers['x-api-key'] && !/^Bearer \S+/.test(headers.authorization ?? ''))
        return { status: 401, message: 'x-api-key header is required' };
      if (!headers['anthropic-version'])
        return { status: 400, message: 'anthropic-version: header is required' };
      if (typeof body.model !== 'string' || body.model === '')
        return { status: 400, message: 'model: Field required' };
      if (typeof body.max_tokens !== 'number')
        return { status: 400, message: 'max_tokens: Field required' };
      if (!nonEmptyArray(body.messages))
        return { status: 400, message: 'messages: at least one message is required' };
      return undefined;
    case 'google':
      if (!headers['x-goog-api-key'] && !query.key)
        return {
          status: 403,
          message:
            "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        };
      if (!nonEmptyArray(body.contents))
        return {
          status: 400,
          message: '* GenerateContentRequest.contents: contents is not specified',
        };
      return undefined;
  }
}

export async function startFakeVendors(): Promise<FakeVendors> {
  const queues = new Map<Vendor, Reply[]>(vendors.map((v) => [v, []]));
  const requests: RecordedRequest[] = [];
  /** Responses left open on purpose (hang, stall), ended by close(). */
  const open = new Set<ServerResponse>();

  const keepOpen = (res: ServerResponse) => {
    open.add(res);
    res.on('close', () => open.delete(res));
  };

  async function answer(
    vendor: Vendor,
    reply: Reply,
    call: Call,
    res: ServerResponse,
  ): Promise<void> {
    switch (reply.type) {
      case 'hang':
        keepOpen(res);
        return;
      case 'status':
        sendJson(
          res,
          vendor,
          reply.status,
          errorBody(vendor, reply.status, reply.message, call),
          reply.headers,
        );
        return;
      case 'text':
      case 'stall': {
        const complete = reply.type === 'text';
        const pieces = reply.type === 'text' ? splitText(reply.text, reply.chunks) : [reply.text];
        const given = reply.type === 'text' ? reply.usage : undefined;
        const usage: Usage = {
          input: given?.input ?? 10,
          output: given?.output ?? Math.max(1, pieces.length),
          cached: given?.cached ?? 0,
        };
        if (!call.stream) {
          const body = JSON.stringify(
            vendor === 'anthropic'
              ? anthropicMessage(reply.text, usage, call)
              : vendor === 'google'
                ? googleResponse(reply.text, usage, call, true)
                : openaiCompletion(reply.text, usage, call),
          );
          res.writeHead(200, {
            'content-type': 'application/json; charset=utf-8',
            ...vendorHeaders(vendor),
          });
          if (complete) {
            res.end(body);
          } else {
            res.write(body.slice(0, Math.floor(body.length / 2)));
            keepOpen(res);
          }
          return;
        }
        const events =
          vendor === 'anthropic'
            ? anthropicEvents(pieces, usage, call, complete)
            : vendor === 'google'
              ? googleEvents(pieces, usage, call, complete)
              : openaiEvents(pieces, usage, call, complete);
        if (!call.sse) {
          // Google's streamGenerateContent without alt=sse: one JSON array of the responses.
          sendJson(
            res,
            vendor,
            200,
            events.map((e) => e.data),
          );
          return;
        }
        res.writeHead(200, {
          'content-type':
            vendor === 'google' ? 'text/event-stream' : 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
          ...vendorHeaders(vendor),
        });
        const interval = reply.type === 'text' ? (reply.intervalMs ?? 0) : 0;
        for (const e of events) {
          if (interval && !res.destroyed) await new Promise((r) => setTimeout(r, interval));
          res.write(formatEvent(vendor, e));
        }
        if (complete) res.end();
        else keepOpen(res);
        return;
      }
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readBody(req);
    const r = route(url.pathname);
    if (!r) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`no fake vendor under ${url.pathname}`);
      return;
    }
    let body: unknown = raw;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      // recorded as the raw text
    }
    const headers = flatHeaders(req);
    const query = Object.fromEntries(url.searchParams);
    const method = req.method ?? 'GET';
    requests.push({ vendor: r.vendor, method, path: url.pathname, query, headers, body });

    if (r.endpoint === null || method !== 'POST') {
      const message =
        r.vendor === 'openai' || r.vendor === 'compatible'
          ? `Invalid URL (${method} ${url.pathname.slice(prefixes[r.vendor].length)})`
          : 'Not Found';
      sendJson(res, r.vendor, 404, errorBody(r.vendor, 404, message));
      return;
    }
    const refused = refusal(r.vendor, headers, query, body);
    if (refused) {
      sendJson(res, r.vendor, refused.status, errorBody(r.vendor, refused.status, refused.message));
      return;
    }
    const json = isRecord(body) ? body : {};
    const streamOptions = isRecord(json.stream_options) ? json.stream_options : {};
    const call: Call = {
      model: r.model ?? (typeof json.model === 'string' ? json.model : ''),
      stream: r.vendor === 'google' ? r.endpoint === 'stream' : json.stream === true,
      includeUsage: streamOptions.include_usage === true,
      sse: r.vendor !== 'google' || query.alt === 'sse',
      id: randomId(),
      created: Math.floor(Date.now() / 1000),
    };
    const reply = queues.get(r.vendor)?.shift() ?? defaultReply();
    await answer(r.vendor, reply, call, res);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`fake vendors failed: ${String(error)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const baseURLs = Object.fromEntries(
    vendors.map((v) => [v, `${origin}${prefixes[v]}${versionPaths[v]}`]),
  ) as Record<Vendor, string>;

  return {
    baseURLs,
    requests,
    enqueue(vendor, ...replies) {
      for (const reply of replies) {
        if (reply.type === 'text' && reply.usage && (reply.usage.cached ?? 0) > reply.usage.input)
          throw new Error('usage.cached counts part of usage.input, so it cannot exceed it');
      }
      queues.get(vendor)?.push(...replies);
    },
    reset() {
      for (const queue of queues.values()) queue.length = 0;
      requests.length = 0;
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        for (const res of open) res.destroy();
        open.clear();
        server.closeAllConnections();
      });
    },
  };
}

import { microsToUsd } from '@platform/ai';
import type { MessageView, SendOutcome } from '@platform/api';

const SNIPPET_CHARS = 160;

const snippet = (text: string) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > SNIPPET_CHARS ? `${flat.slice(0, SNIPPET_CHARS - 1)}…` : flat;
};

/** `Tier 1 · offline:extractive-v1 · $0.000000 · 120 ms (retrieval 15 ms, first token 40 ms)` */
function statsLine(reply: MessageView): string {
  const model = reply.provider && reply.model ? `${reply.provider}:${reply.model}` : 'no model';
  const latency = reply.latency;
  const timing = latency
    ? `${latency.totalMs ?? '?'} ms (retrieval ${latency.retrievalMs ?? '?'} ms, first token ${latency.firstTokenMs ?? '?'} ms)`
    : 'latency unknown';
  return [
    `Tier ${reply.tier ?? '?'}`,
    model,
    `$${microsToUsd(reply.costMicros ?? 0).toFixed(6)}`,
    timing,
  ].join(' · ');
}

export function printSummary(outcome: SendOutcome, streamed: string, conversationId: string) {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  if (outcome.handoff) {
    if (streamed) out();
    out(`Handed to a person: ${outcome.handoff}. A member of the team will reply in the inbox.`);
  } else if (!outcome.reply) {
    out('A person holds this conversation (or was asked to join); the assistant stays silent.');
  } else {
    const reply = outcome.reply;
    // Nothing streamed (an answer can arrive whole): print it now.
    if (!streamed) process.stdout.write(reply.text);
    out();
    out();
    if (reply.citations.length) {
      out('Sources:');
      for (const [i, c] of reply.citations.entries())
        out(`[${i + 1}] ${c.title} — ${snippet(c.snippet)}`);
    }
    if (reply.status !== 'complete') out(`(answer ${reply.status})`);
    out(statsLine(reply));
  }
  out(`Conversation ${conversationId} (continue with --conversation ${conversationId})`);
}

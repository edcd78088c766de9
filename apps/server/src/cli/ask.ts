import { microsToUsd } from '@platform/ai';
import { type Actor, asDomainError, type MessageView, type SendOutcome } from '@platform/api';
import { z } from 'zod';
import { parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';
import { withPlatform } from './open.ts';
import { tenantBySlug } from './tenant-by-slug.ts';
import { UsageError } from './usage-error.ts';

const usage = `npm run -s platform -- ask --tenant <slug> [--conversation <id>] [--json] "<question>"

Asks an organisation's assistant a question, as the API channel would: the answer streams to
standard output, followed by its sources, the tier, model, cost and latency, and the
conversation id (pass it as --conversation to ask a follow-up in the same conversation).
With --json, prints the outcome as one JSON object instead of streaming.`;

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

function printSummary(outcome: SendOutcome, streamed: string, conversationId: string) {
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

export const ask: Command = {
  summary: "ask an organisation's assistant a question (streams the answer)",
  usage,
  async run(args, config) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        tenant: { type: 'string' },
        conversation: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      usage,
    );
    if (!values.tenant) throw new UsageError(`--tenant is required\n\n${usage}`);
    const question = positionals.join(' ').trim();
    if (!question) throw new UsageError(`give a question\n\n${usage}`);
    const existing = values.conversation;
    if (existing !== undefined && !z.uuid().safeParse(existing).success)
      throw new UsageError(`--conversation must be a conversation id (UUID)\n\n${usage}`);
    const slug = values.tenant;
    const json = values.json;

    return withPlatform(config, async ({ db, conversations, limits }) => {
      const tenant = await tenantBySlug(db, slug, { createIfMissing: false });
      if (!tenant) {
        console.error(
          `No organisation with slug "${slug}" (see: npm run platform -- list-tenants)`,
        );
        return 2;
      }
      const actor: Actor = { kind: 'operator', tenantId: tenant.id, name: 'CLI' };
      try {
        limits.checkMessage(question);
        const conversationId =
          existing ?? (await conversations.create(actor, { channel: 'api' })).id;
        let streamed = '';
        const outcome = await conversations.send(
          actor,
          { conversationId, text: question },
          json
            ? {}
            : {
                onDelta: (delta) => {
                  streamed += delta;
                  process.stdout.write(delta);
                },
              },
        );
        if (!outcome.reply && !outcome.handoff && !outcome.duplicate) {
          // No answer and no handoff: a person holds the conversation, or the assistant failed
          // (a failure note was stored in the conversation).
          const now = await conversations.get(actor, conversationId);
          if (now.handler !== 'human' && now.status !== 'waiting') {
            if (json) console.log(JSON.stringify(outcome, null, 2));
            console.error('The assistant could not answer just now; try again.');
            return 1;
          }
        }
        if (json) console.log(JSON.stringify(outcome, null, 2));
        else printSummary(outcome, streamed, conversationId);
        return 0;
      } catch (error) {
        const domain = asDomainError(error);
        if (!domain) throw error;
        console.error(`${domain.field ? `${domain.field}: ` : ''}${domain.message}`);
        return 1;
      }
    });
  },
};

import { type Actor, asDomainError } from '@platform/api';
import { z } from 'zod';
import { tenantBySlug } from '../tenant-by-slug.ts';
import { parseCommandArgs } from './args.ts';
import { printSummary } from './ask-print.ts';
import { askRunningServer, isHeldByServer } from './ask-remote.ts';
import type { Command } from './command.ts';
import { withPlatform } from './open.ts';
import { UsageError } from './usage-error.ts';

const usage = `npm run -s platform -- ask --tenant <slug> [--conversation <id>] [--json] "<question>"

Asks an organisation's assistant a question, as the API channel would: the answer streams to
standard output, followed by its sources, the tier, model, cost and latency, and the
conversation id (pass it as --conversation to ask a follow-up in the same conversation).
With --json, prints the outcome as one JSON object instead of streaming.`;

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

    // The embedded database belongs to a running server: ask through it instead.
    const viaServer = () =>
      askRunningServer(config, {
        slug,
        question,
        json,
        ...(existing ? { conversationId: existing } : {}),
      });
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
    }).catch((error: unknown) => {
      if (isHeldByServer(error)) return viaServer();
      throw error;
    });
  },
};

import { createInterface } from 'node:readline';
import { classify, type Turn } from '@platform/ai';
import { parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';
import { UsageError } from './usage-error.ts';

const usage = `npm run -s platform -- route (--jsonl | <query...>)

Shows which tier (1 cheapest .. 3 strongest) the router sends a question to, without
calling any model or opening the database. With --jsonl, reads lines
{"query": "...", "history"?: [{"role": "user"|"assistant", "content": "..."}]} on standard
input and writes one line per query: {"tier": 1|2|3, "score": <0..1>, "reason": "..."}
(a line it cannot read answers {"error": "..."}).`;

type Parsed = { query: string; history: Turn[] } | { error: string };

function parseLine(line: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { error: 'line is not JSON' };
  }
  if (!value || typeof value !== 'object') return { error: 'line must be a JSON object' };
  const { query, history } = value as { query?: unknown; history?: unknown };
  if (typeof query !== 'string' || !query.trim())
    return { error: 'query: must be a non-empty string' };
  if (history === undefined) return { query, history: [] };
  if (!Array.isArray(history)) return { error: 'history: must be an array of turns' };
  const turns: Turn[] = [];
  for (const [i, t] of history.entries()) {
    const turn = t as { role?: unknown; content?: unknown };
    if ((turn?.role !== 'user' && turn?.role !== 'assistant') || typeof turn.content !== 'string')
      return { error: `history[${i}]: must be {"role": "user"|"assistant", "content": string}` };
    turns.push({ role: turn.role, content: turn.content });
  }
  return { query, history: turns };
}

const decide = (query: string, history: Turn[]) => {
  const c = classify({ query, history });
  return { tier: c.tier, score: c.score, reason: c.reason };
};

export const route: Command = {
  summary: 'show the routing tier for questions (no model is called)',
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      { jsonl: { type: 'boolean', default: false } },
      usage,
    );
    if (!values.jsonl) {
      const query = positionals.join(' ').trim();
      if (!query)
        throw new UsageError(`give a query, or --jsonl to read queries from stdin\n\n${usage}`);
      console.log(JSON.stringify(decide(query, [])));
      return 0;
    }
    const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) {
      if (!line.trim()) continue;
      const parsed = parseLine(line);
      process.stdout.write(
        `${JSON.stringify('error' in parsed ? parsed : decide(parsed.query, parsed.history))}\n`,
      );
    }
    return 0;
  },
};

import type { SearchResult } from '@platform/knowledge';
import type { ModelMessage } from 'ai';
import type { Personality } from '../personalities/store.ts';
import type { Turn } from '../router/classify.ts';

/** The system prompt: the personality's own words, then how to use the numbered passages. */
export function systemPrompt(
  personality: Personality,
  passages: SearchResult[],
  summary?: string | null,
): string {
  const style = [
    personality.tone ? `Tone: ${personality.tone}.` : '',
    `Answer in the language with tag "${personality.language}" unless the user writes in another language.`,
  ]
    .filter(Boolean)
    .join(' ');
  const rules =
    'Use only the knowledge-base passages below for facts about the organisation. Cite each passage you rely on as [n]. If the passages do not contain the answer, say so plainly instead of guessing.';
  const context = passages.length
    ? passages
        .map(
          (p, i) =>
            `[${i + 1}] ${p.document}${p.heading ? ` — ${p.heading}` : ''}${p.page ? ` (page ${p.page})` : ''}\n${p.text}`,
        )
        .join('\n\n')
    : '(no passages matched this question)';
  const memory = summary ? `\n\nEarlier in this conversation (summary):\n${summary}` : '';
  return `${personality.systemPrompt.trim()}\n\n${style}\n\n${rules}${memory}\n\nKnowledge-base passages:\n${context}`;
}

export function conversation(history: Turn[], question: string): ModelMessage[] {
  return [
    ...history.map((t): ModelMessage => ({ role: t.role, content: t.content })),
    { role: 'user', content: question },
  ];
}

/** Passages as the offline model reads them. */
export const offlinePassages = (passages: SearchResult[]) =>
  passages.map((p) => ({ title: p.document, text: p.text }));

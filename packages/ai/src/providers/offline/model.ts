import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
  LanguageModelV3Usage,
} from '@ai-sdk/provider';
import { estimateTokens, splitSentences } from '../../text/terms.ts';
import { extractAnswer, type Passage } from './extract.ts';

export const OFFLINE_MODEL = 'extractive-v1';

/** Said when the passages hold nothing that answers the question. */
export const NO_ANSWER = "I couldn't find an answer to that in the knowledge base.";
const GREETING =
  /^(hi|hello|hey|hiya|good (morning|afternoon|evening)|thanks?( you)?|thank you( very much)?|cheers|bye|goodbye)\b[\s!.,]*\w{0,12}[\s!.]*$/i;

/** Passages reach the offline model as provider options: `{ offline: { passages } }`. */
function passagesOf(options: LanguageModelV3CallOptions): Passage[] {
  const raw = options.providerOptions?.offline?.passages;
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((p) =>
    p && typeof p === 'object' && !Array.isArray(p) && typeof p.text === 'string'
      ? [{ title: typeof p.title === 'string' ? p.title : '', text: p.text }]
      : [],
  );
}

const textOf = (content: LanguageModelV3Prompt[number]['content']): string =>
  typeof content === 'string'
    ? content
    : content.map((part) => (part.type === 'text' ? part.text : '')).join(' ');

function lastUserText(prompt: LanguageModelV3Prompt): string {
  for (let i = prompt.length - 1; i >= 0; i--) {
    const message = prompt[i];
    if (message?.role === 'user') return textOf(message.content);
  }
  return '';
}

/** Scores how close in meaning each sentence is to the question (0..1), e.g. with word vectors. */
export type SentenceSimilarity = (question: string, sentences: string[]) => Promise<number[]>;

async function answerFor(
  options: LanguageModelV3CallOptions,
  similarity?: SentenceSimilarity,
): Promise<string> {
  const question = lastUserText(options.prompt).trim();
  if (GREETING.test(question))
    return /^(thanks?|thank|cheers|bye|goodbye)/i.test(question)
      ? "You're welcome. Anything else I can help with?"
      : 'Hello! What would you like to know?';
  const passages = passagesOf(options);
  let scores: Map<string, number> | undefined;
  if (similarity && passages.length) {
    const sentences = [...new Set(passages.flatMap((p) => splitSentences(p.text)))];
    const values = await similarity(question, sentences);
    scores = new Map(sentences.map((s, i) => [s, values[i] ?? 0]));
  }
  const extract = extractAnswer(question, passages, scores);
  return extract.text || NO_ANSWER;
}

function usage(options: LanguageModelV3CallOptions, answer: string): LanguageModelV3Usage {
  const input = estimateTokens(options.prompt.map((m) => textOf(m.content)).join('\n'));
  const output = estimateTokens(answer);
  return {
    inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: output, text: output, reasoning: 0 },
  };
}

const finishReason = { unified: 'stop', raw: 'stop' } as const;

/**
 * The default model when no provider key is configured: it answers only from the retrieved
 * passages, quoting the sentences that best answer the question with [n] citations, and says
 * plainly when they hold no answer. It never calls out of the process, costs nothing, is
 * deterministic, and streams word by word like a hosted model.
 */
export function offlineModel(
  modelId: string = OFFLINE_MODEL,
  settings: { similarity?: SentenceSimilarity } = {},
): LanguageModelV3 {
  return {
    specificationVersion: 'v3',
    provider: 'offline',
    modelId,
    supportedUrls: {},
    async doGenerate(options) {
      const text = await answerFor(options, settings.similarity);
      return {
        content: [{ type: 'text', text }],
        finishReason,
        usage: usage(options, text),
        warnings: [],
      };
    },
    async doStream(options) {
      const text = await answerFor(options, settings.similarity);
      const words = text.match(/\S+\s*/g) ?? [];
      const signal = options.abortSignal;
      const stream = new ReadableStream<LanguageModelV3StreamPart>({
        start(controller) {
          controller.enqueue({ type: 'stream-start', warnings: [] });
          controller.enqueue({ type: 'text-start', id: '0' });
        },
        pull(controller) {
          if (signal?.aborted) {
            controller.error(signal.reason);
            return;
          }
          const word = words.shift();
          if (word !== undefined) {
            controller.enqueue({ type: 'text-delta', id: '0', delta: word });
            return;
          }
          controller.enqueue({ type: 'text-end', id: '0' });
          controller.enqueue({ type: 'finish', finishReason, usage: usage(options, text) });
          controller.close();
        },
      });
      return { stream };
    },
  };
}

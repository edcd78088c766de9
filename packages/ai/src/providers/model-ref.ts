/** Which vendor API a model is reached through; `compatible` is any OpenAI-compatible server. */
export const providerNames = ['openai', 'anthropic', 'google', 'compatible', 'offline'] as const;
export type ProviderName = (typeof providerNames)[number];

/** One model behind one provider, written `provider:model` in config and in the ledger. */
export interface ModelRef {
  provider: ProviderName;
  model: string;
}

export class ModelRefError extends Error {
  constructor(readonly value: string) {
    super(`"${value}" is not provider:model with provider one of ${providerNames.join(', ')}`);
    this.name = 'ModelRefError';
  }
}

const isProvider = (s: string): s is ProviderName =>
  (providerNames as readonly string[]).includes(s);

export function parseModelRef(value: string): ModelRef {
  const at = value.indexOf(':');
  const provider = value.slice(0, at).trim();
  const model = value.slice(at + 1).trim();
  if (at <= 0 || !isProvider(provider) || !/^[\w.:/@-]+$/.test(model))
    throw new ModelRefError(value);
  return { provider, model };
}

/** A config list such as `openai:gpt-4o, compatible:llama3.1`. */
export const parseModelChain = (value: string): ModelRef[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parseModelRef);

export const formatModelRef = (ref: ModelRef): string => `${ref.provider}:${ref.model}`;

/**
 * Whether a model accepts images. Vendors do not report this over the API, so it is a table of
 * the families known to take images; an OpenAI-compatible server is assumed text-only unless the
 * model's name says it is a vision model.
 */
export function supportsVision(ref: ModelRef): boolean {
  const m = ref.model.toLowerCase();
  switch (ref.provider) {
    case 'openai':
      return /^(gpt-4o|gpt-4\.1|gpt-4-turbo|gpt-5|o[134])/.test(m);
    case 'anthropic':
      return /^claude-(3|sonnet|opus|haiku)/.test(m);
    case 'google':
      return /^gemini/.test(m);
    case 'compatible':
      return /(llava|vision|-vl|vl-|pixtral|gemma-?3|qwen2\.5-vl|minicpm-v)/.test(m);
    case 'offline':
      return false;
  }
}

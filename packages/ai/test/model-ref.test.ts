import { describe, expect, it } from 'vitest';
import {
  ModelRefError,
  parseModelChain,
  parseModelRef,
  supportsVision,
} from '../src/providers/model-ref.ts';
import { createLanguageModel } from '../src/providers/registry.ts';

describe('model references', () => {
  it('parses provider:model chains, keeping colons inside model names', () => {
    expect(
      parseModelChain('openai:gpt-4o, compatible:llama3.1:70b ,offline:extractive-v1'),
    ).toEqual([
      { provider: 'openai', model: 'gpt-4o' },
      { provider: 'compatible', model: 'llama3.1:70b' },
      { provider: 'offline', model: 'extractive-v1' },
    ]);
    expect(() => parseModelRef('gpt-4o')).toThrow(ModelRefError);
    expect(() => parseModelRef('mistral:large')).toThrow(/provider one of/);
    expect(() => parseModelRef('openai:')).toThrow(ModelRefError);
  });

  it('flags the model families that take images', () => {
    expect(supportsVision({ provider: 'openai', model: 'gpt-4o-mini' })).toBe(true);
    expect(supportsVision({ provider: 'anthropic', model: 'claude-sonnet-4-5' })).toBe(true);
    expect(supportsVision({ provider: 'google', model: 'gemini-2.5-flash' })).toBe(true);
    expect(supportsVision({ provider: 'compatible', model: 'llama3.1:8b' })).toBe(false);
    expect(supportsVision({ provider: 'compatible', model: 'qwen2.5-vl:7b' })).toBe(true);
    expect(supportsVision({ provider: 'offline', model: 'extractive-v1' })).toBe(false);
  });

  it('never builds a hosted model without a key (the SDK would read one from the environment)', () => {
    expect(() => createLanguageModel({ provider: 'openai', model: 'gpt-4o' }, {})).toThrow(
      /needs an API key/,
    );
    expect(() => createLanguageModel({ provider: 'compatible', model: 'x' }, {})).toThrow(
      /base URL/,
    );
    expect(createLanguageModel({ provider: 'offline', model: 'extractive-v1' }).provider).toBe(
      'offline',
    );
  });
});

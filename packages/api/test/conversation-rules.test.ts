import { describe, expect, it } from 'vitest';
import {
  asksForHuman,
  DEFAULT_HANDOFF_RULES,
  lowConfidenceReason,
  matchedKeyword,
} from '../src/conversations/handoff-rules.ts';
import { extendSummary } from '../src/conversations/memory.ts';
import type { MessageRow } from '../src/conversations/store.ts';

describe('handoff rules', () => {
  it.each([
    'Can I talk to a human please?',
    'I want to speak with a real person',
    'connect me to an agent',
    'live agent',
    'Agent!',
    'Je voudrais parler à un conseiller',
    'Quiero hablar con una persona',
    'Kann ich mit einem Menschen sprechen?',
  ])('recognises a request for a person: %s', (text) => {
    expect(asksForHuman(text)).toBe(true);
  });

  it.each([
    'How many people work in the finance team?',
    'What does a travel agent book for us?',
    'Is the human resources portal down?',
    'Who is the agent of record for the lease?',
  ])('does not mistake a question about people for a request: %s', (text) => {
    expect(asksForHuman(text)).toBe(false);
  });

  it('matches keyword rules as whole words, case-insensitively', () => {
    const rules = { ...DEFAULT_HANDOFF_RULES, keywords: ['refund', 'cancel my account', 'C++'] };
    expect(matchedKeyword('I need a REFUND now', rules)).toBe('refund');
    expect(matchedKeyword('please cancel my account today', rules)).toBe('cancel my account');
    expect(matchedKeyword('is C++ supported?', rules)).toBe('C++');
    expect(matchedKeyword('refunded twice', rules)).toBeNull();
  });

  it('hands website visitors over on low confidence by default, nobody else', () => {
    expect(lowConfidenceReason(DEFAULT_HANDOFF_RULES, 'widget', 0.1)).toMatch(/confidence 0.10/);
    expect(lowConfidenceReason(DEFAULT_HANDOFF_RULES, 'widget', 0.5)).toBeNull();
    expect(lowConfidenceReason(DEFAULT_HANDOFF_RULES, 'dashboard', 0)).toBeNull();
    expect(lowConfidenceReason({ lowConfidence: null, keywords: [] }, 'widget', 0)).toBeNull();
  });
});

describe('conversation memory', () => {
  const row = (over: Partial<MessageRow>): MessageRow =>
    ({
      role: 'user',
      authorType: 'visitor',
      authorName: null,
      content: '',
      status: 'complete',
      ...over,
    }) as MessageRow;

  it('keeps each question and the first sentence of each answer, without citation marks', () => {
    const summary = extendSummary(null, [
      row({ content: 'How long is parental leave?' }),
      row({
        role: 'assistant',
        authorType: 'ai',
        content: 'Parental leave is 16 weeks [1]. It can be split.',
      }),
      row({
        role: 'assistant',
        authorType: 'agent',
        authorName: 'Sam',
        content: 'I have checked your case!',
      }),
      row({ role: 'system', authorType: 'system', content: 'failed', status: 'failed' }),
    ]);
    expect(summary.split('\n')).toEqual([
      'User: How long is parental leave?',
      'Assistant: Parental leave is 16 weeks.',
      'Agent Sam: I have checked your case!',
    ]);
  });

  it('drops the oldest lines past its size limit', () => {
    const many = Array.from({ length: 100 }, (_, i) =>
      row({ content: `Question number ${i} ${'x'.repeat(60)}` }),
    );
    const summary = extendSummary('User: the very first question', many);
    expect(summary.length).toBeLessThanOrEqual(2000);
    expect(summary).not.toContain('the very first question');
    expect(summary).toContain('Question number 99');
  });
});

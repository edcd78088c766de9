import type { ModelRef } from './providers/model-ref.ts';

/** US dollars per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
  /** Input tokens served from the vendor's prompt cache. */
  cachedInput: number;
}

interface PriceTable {
  version: string;
  /** The first moment this table applies (UTC). */
  effectiveFrom: string;
  prices: Record<string, ModelPrice>;
}

/**
 * Vendor list prices, versioned: a price change is a new table with its own version and start,
 * never an edit, so every cost event can be recomputed from the version it records. The first
 * table carries the seed's figures (GPT-4o at $5/$15, as the seed's 67.9% saving assumes).
 */
export const PRICE_TABLES: readonly PriceTable[] = [
  {
    version: '2026-01-seed',
    effectiveFrom: '2026-01-01T00:00:00Z',
    prices: {
      'openai:gpt-4o-mini': { input: 0.15, output: 0.6, cachedInput: 0.075 },
      'openai:gpt-4o': { input: 5, output: 15, cachedInput: 2.5 },
      'openai:gpt-4.1-mini': { input: 0.4, output: 1.6, cachedInput: 0.1 },
      'openai:gpt-4.1': { input: 2, output: 8, cachedInput: 0.5 },
      'anthropic:claude-sonnet-4-5': { input: 3, output: 15, cachedInput: 0.3 },
      'anthropic:claude-haiku-4-5': { input: 1, output: 5, cachedInput: 0.1 },
      'anthropic:claude-opus-4-1': { input: 15, output: 75, cachedInput: 1.5 },
      'google:gemini-2.5-flash': { input: 0.3, output: 2.5, cachedInput: 0.075 },
      'google:gemini-2.5-pro': { input: 1.25, output: 10, cachedInput: 0.31 },
    },
  },
];

const FREE: ModelPrice = { input: 0, output: 0, cachedInput: 0 };

export interface PriceQuote {
  version: string;
  price: ModelPrice;
  /** False for a model the table does not list (charged at zero, and flagged). */
  known: boolean;
}

/** The price of a model at a moment; self-hosted (`compatible`) and offline models cost nothing. */
export function priceOf(ref: ModelRef, at: Date = new Date()): PriceQuote {
  const table =
    [...PRICE_TABLES].reverse().find((t) => Date.parse(t.effectiveFrom) <= at.getTime()) ??
    PRICE_TABLES[0];
  const version = table?.version ?? 'none';
  if (ref.provider === 'offline' || ref.provider === 'compatible')
    return { version, price: FREE, known: true };
  const price = table?.prices[`${ref.provider}:${ref.model}`];
  return price ? { version, price, known: true } : { version, price: FREE, known: false };
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  /** Part of inputTokens served from the vendor's cache. */
  cachedInputTokens: number;
}

/**
 * Cost in integer micro-dollars. A price in dollars per million tokens is exactly micro-dollars
 * per token, so the sum is exact before the single rounding at the end.
 */
export function costMicros(price: ModelPrice, usage: TokenUsage): number {
  const cached = Math.min(usage.cachedInputTokens, usage.inputTokens);
  const exact =
    (usage.inputTokens - cached) * price.input +
    cached * price.cachedInput +
    usage.outputTokens * price.output;
  return Math.round(exact);
}

export const microsToUsd = (micros: number): number => micros / 1_000_000;

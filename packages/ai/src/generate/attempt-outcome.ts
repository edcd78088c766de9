import { APICallError } from '@ai-sdk/provider';

export type AttemptOutcome = 'ok' | 'error' | 'timeout' | 'rate_limited' | 'aborted';

/** Why an attempt stopped: our timers, the caller, a 429, or anything else the vendor did. */
export class AttemptTimeout extends Error {
  constructor(
    readonly phase: 'first-token' | 'total',
    ms: number,
  ) {
    super(`no ${phase === 'first-token' ? 'first token' : 'complete answer'} within ${ms} ms`);
    this.name = 'AttemptTimeout';
  }
}

export function outcomeOf(error: unknown, callerAborted: boolean): AttemptOutcome {
  if (callerAborted) return 'aborted';
  if (error instanceof AttemptTimeout) return 'timeout';
  if (APICallError.isInstance(error) && error.statusCode === 429) return 'rate_limited';
  if (error instanceof Error && error.cause instanceof AttemptTimeout) return 'timeout';
  return 'error';
}

/** A short, key-free description of a failure for the ledger and the decision log. */
export function describeError(error: unknown): string {
  if (APICallError.isInstance(error))
    return `HTTP ${error.statusCode ?? '?'}: ${error.message}`.slice(0, 300);
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 300);
  return String(error).slice(0, 300);
}

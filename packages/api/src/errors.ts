import { AiInputError, BudgetExhaustedError } from '@platform/ai';
import { EmbeddingError, KnowledgeInputError } from '@platform/knowledge';

/** The one domain error type. Routers, REST and sockets throw it; one formatter maps it out. */
export type DomainErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'PAYMENT_REQUIRED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'TOO_MANY_REQUESTS'
  | 'SERVICE_UNAVAILABLE';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** The input field at fault, when there is one. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DomainError';
    // An expected outcome, not a fault: no stack trace. Formatting one (which tRPC does when
    // it wraps the error) costs about half a millisecond with source maps on.
    Object.defineProperty(this, 'stack', { value: `DomainError: ${message}`, writable: true });
  }
}

export const notFound = (what: string) => new DomainError('NOT_FOUND', `${what} not found`);

const CODE_BY_STATUS: Record<number, DomainErrorCode> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/** A package's own input error (it names a field and an HTTP status) as a domain error. */
export function asDomainError(error: unknown): DomainError | undefined {
  if (error instanceof DomainError) return error;
  if (error instanceof KnowledgeInputError || error instanceof AiInputError)
    return new DomainError(
      CODE_BY_STATUS[error.status] ?? 'BAD_REQUEST',
      error.message,
      error.field,
    );
  // The tenant's monthly AI budget is spent and its policy is to refuse: 402, not a fault.
  if (error instanceof BudgetExhaustedError)
    return new DomainError('PAYMENT_REQUIRED', error.message);
  // The embedding vendor is down or throttling us: retryable, and not the caller's fault.
  if (error instanceof EmbeddingError && error.reason !== 'invalid_input')
    return new DomainError(
      'SERVICE_UNAVAILABLE',
      'The embedding service is unavailable; try again shortly',
    );
  return undefined;
}

import type { Database } from '@platform/db';
import {
  type Embedder,
  embedQuery,
  knowledgeVersion,
  type SearchResult,
  searchKnowledgeConcurrently,
  type TenantRunner,
} from '@platform/knowledge';
import type { KeyCipher } from '../credentials/cipher.ts';
import { tenantCredentials } from '../credentials/store.ts';
import { type BudgetStatus, readBudgetStatus } from '../ledger/budget.ts';
import { type Personality, personalityOrDefault } from '../personalities/store.ts';
import type { CredentialsByProvider } from '../providers/registry.ts';
import { PASSAGES, scopeOf } from './route-question.ts';

export interface PrepareInput {
  tenantId: string;
  question: string;
  /** Default: the tenant's default personality. */
  personalityId?: string | undefined;
  /** That personality, if the caller has read it already (chat.send reads it as it stores the question). */
  personality?: Personality;
  /** A collection to search instead of the personality's scope (a widget's own); null: none. */
  collectionId?: string | null | undefined;
}

/** Everything an answer reads before routing: nothing here depends on the conversation. */
export interface PreparedQuestion extends PrepareInput {
  embedding: number[] | undefined;
  personality: Personality;
  passages: SearchResult[];
  budget: BudgetStatus;
  knowledgeVersion: number;
  /** The tenant's own provider keys, decrypted for this answer only. */
  credentials: CredentialsByProvider;
  /** Milliseconds spent embedding, reading and retrieving. */
  retrievalMs: number;
}

export interface PrepareDeps {
  db: Database;
  embedder: Embedder;
  cipher: KeyCipher;
}

/**
 * Reads what an answer needs, as concurrently as the reads allow, each read in its own tenant
 * transaction: the query is embedded while the personality (which sets the knowledge scope) is
 * read, unless the caller has it; then vector and BM25 search run side by side; the budget,
 * knowledge version and keys are read meanwhile. It changes
 * nothing (beyond creating a tenant's default personality on first use), so a caller may start
 * it before it knows the question will be answered (chat.send does, while it stores the
 * question) and drop it if not.
 */
export async function prepareQuestion(
  deps: PrepareDeps,
  input: PrepareInput,
): Promise<PreparedQuestion> {
  const started = performance.now();
  const { tenantId } = input;
  const run: TenantRunner = (fn) => deps.db.withTenant(tenantId, fn);
  const context = run(async (tx) => ({
    budget: await readBudgetStatus(tx, tenantId),
    knowledgeVersion: await knowledgeVersion(tx, tenantId),
    credentials: await tenantCredentials(tx, tenantId, deps.cipher),
  }));
  const retrieval = Promise.all([
    embedQuery(deps.embedder, input.question),
    input.personality ?? run((tx) => personalityOrDefault(tx, tenantId, input.personalityId)),
  ]).then(async ([vector, personality]) => {
    const passages = await searchKnowledgeConcurrently(run, deps.embedder, {
      query: input.question,
      limit: PASSAGES,
      embedding: vector,
      ...(input.collectionId
        ? { filters: { collectionId: input.collectionId } }
        : scopeOf(personality)),
    });
    return { vector, personality, passages };
  });
  const [{ vector, personality, passages }, read] = await Promise.all([retrieval, context]);
  return {
    ...input,
    embedding: vector,
    personality,
    passages,
    ...read,
    retrievalMs: Math.round(performance.now() - started),
  };
}

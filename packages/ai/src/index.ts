export type { AnswerInput, AnswerResult } from './answer/answer.ts';
export type { PreparedQuestion, PrepareInput } from './answer/prepare.ts';
export { retrievalConfidence } from './answer/retrieval-confidence.ts';
export { type RoutedQuestion, routeQuestion } from './answer/route-question.ts';
export { lookupAnswer, sameSpecifics, storeAnswer } from './cache/answer-cache.ts';
export { KeyCipher, keyHint } from './credentials/cipher.ts';
export {
  checkProviderKey,
  listProviderKeys,
  removeProviderKey,
  saveProviderKey,
  tenantCredentials,
  type VendorName,
} from './credentials/store.ts';
export { validateProviderKey } from './credentials/validate.ts';
export { type AiEvent, AiEvents, type BudgetAlertEvent } from './events.ts';
export {
  type Attempt,
  type Candidate,
  streamWithFallback,
} from './generate/stream-with-fallback.ts';
export { AiInputError, BudgetExhaustedError } from './input-error.ts';
export {
  type BudgetSettings,
  type BudgetStatus,
  chargeBudget,
  DEFAULT_THRESHOLDS,
  monthOf,
  readBudgetSettings,
  readBudgetStatus,
  writeBudgetSettings,
} from './ledger/budget.ts';
export { type ModelCall, recordModelCall } from './ledger/record.ts';
export { COST_QUEUE, rollupDay } from './ledger/rollup.ts';
export {
  type PersonalityFields,
  type PersonalityPatch,
  personalityFields,
  personalityPatch,
} from './personalities/input.ts';
export {
  createPersonality,
  defaultPersonality,
  getPersonality,
  listPersonalities,
  listPersonalityVersions,
  type Personality,
  personalityOrDefault,
  removePersonality,
  updatePersonality,
} from './personalities/store.ts';
export { costMicros, microsToUsd, PRICE_TABLES, priceOf } from './pricing.ts';
export {
  formatModelRef,
  type ModelRef,
  ModelRefError,
  type ProviderName,
  parseModelChain,
  parseModelRef,
  providerNames,
  supportsVision,
} from './providers/model-ref.ts';
export { extractAnswer, type Passage } from './providers/offline/extract.ts';
export { NO_ANSWER, OFFLINE_MODEL, offlineModel } from './providers/offline/model.ts';
export {
  type CredentialsByProvider,
  createLanguageModel,
  type ProviderCredentials,
} from './providers/registry.ts';
export { CircuitBreakers } from './router/breaker.ts';
export {
  type Classification,
  classify,
  type Signals,
  type Tier,
  type Turn,
} from './router/classify.ts';
export {
  type BudgetState,
  type ExhaustedPolicy,
  type RouteDecision,
  route,
} from './router/route.ts';
export {
  type AiConfig,
  type AiService,
  type AiServiceOptions,
  createAiService,
  fallbackOrder,
  platformCredentials,
  tierChains,
} from './service.ts';

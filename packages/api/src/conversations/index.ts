export type { Actor } from './actor.ts';
export { DEFAULT_HANDOFF_RULES, type HandoffRules, handoffRulesInput } from './handoff-rules.ts';
export type { InboxQuery } from './inbox.ts';
export { REPLY_QUEUE, type SendHooks, type SendInput, type SendOutcome } from './send.ts';
export { type ConversationService, createConversationService } from './service.ts';
export {
  type AnsweredBy,
  type ConversationView,
  type MessageView,
  type VisitorConversationView,
  visitorConversation,
  visitorMessage,
} from './views.ts';
export { type Counters, memoryCounters } from './visitor-limits.ts';

import { router } from '../../trpc.ts';
import { create } from './create.ts';
import { get } from './get.ts';
import { claim, release, requestHuman } from './handoff.ts';
import { handoffRules, setHandoffRules } from './handoff-rules.ts';
import { list } from './list.ts';
import { messages } from './messages.ts';
import { rate, reopen, resolve, tag } from './status.ts';

export const conversationsRouter = router({
  create,
  get,
  list,
  messages,
  requestHuman,
  claim,
  release,
  resolve,
  reopen,
  tag,
  rate,
  handoffRules,
  setHandoffRules,
});

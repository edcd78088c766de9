export type { ClaimedJob, ClaimOptions } from './claim.ts';
export { enqueueJob, type NewJob } from './enqueue.ts';
export {
  createWorker,
  exponentialBackoff,
  type JobContext,
  type Worker,
  type WorkerOptions,
} from './worker.ts';

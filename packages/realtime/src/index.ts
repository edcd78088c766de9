export type { BusHealth, BusListener, EventBus } from './bus.ts';
export { compareEventIds, type EventId, EventIdClock, eventIdTime, isEventId } from './event-id.ts';
export * from './events.ts';
export { MemoryBus } from './memory-bus.ts';
export * from './protocol.ts';
export { type BusLog, RedisStreamsBus, type RedisStreamsBusOptions } from './redis-bus.ts';

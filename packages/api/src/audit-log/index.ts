export { toCsv } from './csv.ts';
export { afterCursor, encodeCursor } from './cursor.ts';
export { type EntryRow, selectEntries } from './entries.ts';
export { type AuditFilters, auditFilterShape, filterConditions } from './filters.ts';
export { type AuditLogEntry, entryView } from './view.ts';

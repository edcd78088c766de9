import { UsageError } from './usage-error.ts';

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const RELATIVE = /^(\d{1,6})([mhdw])$/;
const DATE = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * A `--since` value as an instant: a span back from now (15m, 1h, 2d, 1w) or an ISO date
 * (2026-11-28, midnight UTC) or date-time with its offset (2026-11-28T09:00:00Z). Anything
 * else, including a date that does not exist (2026-02-30), is a usage error naming the flag.
 */
export function parseSince(value: string, usage: string, now = new Date()): Date {
  const relative = RELATIVE.exec(value);
  if (relative) {
    const unit = relative[2] as keyof typeof UNIT_MS;
    return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[unit]);
  }
  const date = DATE.exec(value);
  const ms = date ? Date.parse(value) : Number.NaN;
  // JavaScript rolls 2026-02-30 over to March; a real date reads back unchanged.
  const real =
    !Number.isNaN(ms) &&
    new Date(Date.parse(date?.[1] ?? '')).toISOString().startsWith(date?.[1] ?? '-');
  if (!date || !real)
    throw new UsageError(
      `--since must be a span like 15m, 1h, 2d or 1w, or an ISO date like 2026-11-28 or 2026-11-28T09:00:00Z (got "${value}")\n\n${usage}`,
    );
  return new Date(ms);
}

import { z } from 'zod';

/**
 * A widget's look and limits, kept in `widgets.settings`. Only what an administrator set is
 * stored; defaults are filled in on read, so a default changed here reaches every widget that
 * never chose otherwise (and rows written by SQL, with `{}`, read like any other).
 */

const colour = z
  .string()
  .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour such as #1a2b3c')
  .transform((c) => c.toLowerCase());

const limit = (max: number) =>
  z
    .number()
    .int(`must be a whole number from 1 to ${max}`)
    .min(1, `must be a whole number from 1 to ${max}`)
    .max(max, `must be a whole number from 1 to ${max}`);

/** `en`, `de`, `ar`, `pt-BR`, `zh-Hant`: checked by Intl and stored in its canonical case. */
const language = z
  .string()
  .trim()
  .regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, 'must be a language tag such as en or pt-BR')
  .transform((tag, ctx) => {
    try {
      return Intl.getCanonicalLocales(tag)[0] ?? tag;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a language tag such as en or pt-BR' });
      return z.NEVER;
    }
  });

const fields = {
  theme: z.strictObject({ primaryColor: colour, backgroundColor: colour, textColor: colour }),
  position: z.enum(['bottom-right', 'bottom-left'], {
    message: 'must be bottom-right or bottom-left',
  }),
  /** Shown when the chat opens; null falls back to the personality's greeting. */
  greeting: z.string().trim().max(500, 'must be at most 500 characters').nullable(),
  language,
  rateLimits: z.strictObject({
    perVisitorPerMinute: limit(600),
    perWidgetPerMinute: limit(10_000),
    dailyMessageCap: limit(1_000_000),
  }),
};

/** What create and update accept: any subset, nested objects too; unknown keys are refused. */
export const widgetSettingsInput = z.strictObject({
  theme: fields.theme.partial().optional(),
  position: fields.position.optional(),
  greeting: fields.greeting.optional(),
  language: fields.language.optional(),
  rateLimits: fields.rateLimits.partial().optional(),
});
export type WidgetSettingsInput = z.infer<typeof widgetSettingsInput>;

export type WidgetSettings = {
  theme: z.infer<typeof fields.theme>;
  position: z.infer<typeof fields.position>;
  greeting: string | null;
  language: string;
  rateLimits: z.infer<typeof fields.rateLimits>;
};

export const WIDGET_DEFAULTS: WidgetSettings = {
  theme: { primaryColor: '#2563eb', backgroundColor: '#ffffff', textColor: '#111827' },
  position: 'bottom-right',
  greeting: null,
  language: 'en',
  rateLimits: { perVisitorPerMinute: 10, perWidgetPerMinute: 300, dailyMessageCap: 5000 },
};

/** The valid values among an object's fields (typed by `T`); anything else in it is dropped. */
function validFields<T extends object>(
  shape: { [K in keyof T]: z.ZodType<T[K]> },
  raw: unknown,
): Partial<T> {
  const source = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const out: Partial<T> = {};
  for (const key of Object.keys(shape) as (keyof T & string)[]) {
    const parsed = shape[key].safeParse(source[key]);
    if (parsed.success && parsed.data !== undefined) out[key] = parsed.data;
  }
  return out;
}

/**
 * The stored settings, keeping only values that are valid today: a field someone wrote by hand,
 * or one whose rules have since tightened, falls back to its default instead of failing reads.
 */
export function storedSettings(raw: unknown): WidgetSettingsInput {
  const top = validFields<Pick<WidgetSettings, 'position' | 'greeting' | 'language'>>(
    { position: fields.position, greeting: fields.greeting, language: fields.language },
    raw,
  );
  const source = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const theme = validFields<WidgetSettings['theme']>(fields.theme.shape, source.theme);
  const rateLimits = validFields<WidgetSettings['rateLimits']>(
    fields.rateLimits.shape,
    source.rateLimits,
  );
  return {
    ...top,
    ...(Object.keys(theme).length ? { theme } : {}),
    ...(Object.keys(rateLimits).length ? { rateLimits } : {}),
  };
}

/** Applies a change to stored settings: nested objects merge; a null greeting is unset. */
export function mergeSettings(
  current: WidgetSettingsInput,
  patch: WidgetSettingsInput,
): WidgetSettingsInput {
  const { theme, rateLimits, greeting, ...rest } = patch;
  const next: WidgetSettingsInput = { ...current, ...rest };
  if (theme) next.theme = { ...current.theme, ...theme };
  if (rateLimits) next.rateLimits = { ...current.rateLimits, ...rateLimits };
  if (greeting === null) delete next.greeting;
  else if (greeting !== undefined) next.greeting = greeting;
  return next;
}

/** Stored settings with every default filled in: what clients and the public side read. */
export function resolveWidgetSettings(raw: unknown): WidgetSettings {
  const stored = storedSettings(raw);
  return {
    theme: { ...WIDGET_DEFAULTS.theme, ...stored.theme },
    position: stored.position ?? WIDGET_DEFAULTS.position,
    greeting: stored.greeting ?? WIDGET_DEFAULTS.greeting,
    language: stored.language ?? WIDGET_DEFAULTS.language,
    rateLimits: { ...WIDGET_DEFAULTS.rateLimits, ...stored.rateLimits },
  };
}

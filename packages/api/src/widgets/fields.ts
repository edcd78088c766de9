import { parseOriginPattern } from '@platform/auth';
import { z } from 'zod';
import { widgetSettingsInput } from './settings.ts';

const MAX_ORIGINS = 100;
const ORIGIN_HINT =
  'an origin such as https://example.com, http://localhost:3000 or https://*.example.com';

/**
 * Pages that may embed the widget, stored canonical (lowercase, no trailing slash, default port
 * dropped) and without duplicates. A bad entry is a 400 on `allowedOrigins` itself, quoting it,
 * so the message says which one.
 */
export const allowedOriginsInput = z
  .array(z.string(), { message: `must be a list of ${ORIGIN_HINT}` })
  .max(MAX_ORIGINS, `must hold at most ${MAX_ORIGINS} origins`)
  .transform((entries, ctx) => {
    const canonical: string[] = [];
    for (const entry of entries) {
      const pattern = entry.length <= 300 ? parseOriginPattern(entry) : null;
      if (!pattern) {
        ctx.addIssue({
          code: 'custom',
          message: `${JSON.stringify(entry.slice(0, 80))} is not ${ORIGIN_HINT}`,
        });
        return z.NEVER;
      }
      if (!canonical.includes(pattern.text)) canonical.push(pattern.text);
    }
    return canonical;
  });

const name = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters');

/** What an administrator may set on a widget; every field is checked, with its name. */
export const widgetFields = z.strictObject({
  name,
  allowedOrigins: allowedOriginsInput.optional(),
  /** The personality answering; null (the default) uses the tenant's default personality. */
  personalityId: z.uuid('must be a personality id').nullable().optional(),
  /** Knowledge scope: one collection, or null for the whole knowledge base. */
  collectionId: z.uuid('must be a collection id').nullable().optional(),
  /** An inactive widget's key is refused, as if unknown. */
  isActive: z.boolean().optional(),
  settings: widgetSettingsInput.optional(),
});
export type WidgetFields = z.infer<typeof widgetFields>;

export const widgetPatch = widgetFields.partial();
export type WidgetPatch = z.infer<typeof widgetPatch>;

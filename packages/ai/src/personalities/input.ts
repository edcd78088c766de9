import { z } from 'zod';

const tier = z.number().int().min(1, 'must be 1, 2 or 3').max(3, 'must be 1, 2 or 3');
const trimmed = (max: number) => z.string().trim().max(max, `must be at most ${max} characters`);

/** What an administrator may set on a personality; every field is checked, with its name. */
export const personalityFields = z.object({
  name: trimmed(100).min(1, 'must not be empty'),
  description: trimmed(1000).nullable().optional(),
  systemPrompt: trimmed(20_000).min(1, 'must not be empty'),
  tone: trimmed(200).nullable().optional(),
  language: z
    .string()
    .trim()
    .regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, 'must be a language tag such as en or pt-BR')
    .optional(),
  greeting: trimmed(1000).nullable().optional(),
  temperature: z
    .number()
    .min(0, 'must be between 0 and 2')
    .max(2, 'must be between 0 and 2')
    // Stored as a 4-byte float, which refuses values too near zero (5e-324 underflowed into a
    // 500); two decimals are all a sampling temperature needs.
    .transform((t) => Math.round(t * 100) / 100)
    .optional(),
  minTier: tier.optional(),
  maxTier: tier.optional(),
  /** Knowledge scope: one collection, or null for the whole knowledge base. */
  collectionId: z.uuid('must be a collection id').nullable().optional(),
  isDefault: z.boolean().optional(),
});

export type PersonalityFields = z.infer<typeof personalityFields>;
export const personalityPatch = personalityFields.partial();
export type PersonalityPatch = z.infer<typeof personalityPatch>;

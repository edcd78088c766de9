import { z } from 'zod';

/** Vendors a tenant may bring its own key for (the offline model needs none). */
export const vendorInput = z.enum(['openai', 'anthropic', 'google', 'compatible']);

import { z } from 'zod';

export const uuid = () => z.uuid({ message: 'must be a UUID' });

/** One widget of the caller's organisation. */
export const byIdInput = z.strictObject({ id: uuid() });

import { AiInputError, defaultPersonality, getPersonality, type Personality } from '@platform/ai';
import type { Tx } from '@platform/db';
import { DomainError } from '../../errors.ts';

/** The personality a caller named (404 on `personalityId` when it is not theirs), else the default. */
export async function personalityFor(
  tx: Tx,
  tenantId: string,
  personalityId: string | undefined,
): Promise<Personality> {
  if (!personalityId) return defaultPersonality(tx, tenantId);
  try {
    return await getPersonality(tx, tenantId, personalityId);
  } catch (error) {
    if (error instanceof AiInputError && error.status === 404)
      throw new DomainError('NOT_FOUND', 'Personality not found', 'personalityId');
    throw error;
  }
}

import { schema } from '@platform/db';

const d = schema.knowledgeDocuments;

/** The columns a document listing shows (never the original bytes). */
export const documentColumns = {
  id: d.id,
  title: d.title,
  source: d.sourceUri,
  mimeType: d.mimeType,
  status: d.status,
  stage: d.stage,
  progress: d.progress,
  error: d.error,
  collectionId: d.collectionId,
  tags: d.tags,
  byteSize: d.byteSize,
  contentHash: d.contentHash,
  metadata: d.metadata,
  createdAt: d.createdAt,
  updatedAt: d.updatedAt,
};

export type DocumentSummary = {
  id: string;
  title: string;
  source: string | null;
  mimeType: string | null;
  status: 'pending' | 'processing' | 'ready' | 'failed';
  stage: string | null;
  progress: number;
  error: string | null;
  collectionId: string | null;
  tags: string[];
  byteSize: number | null;
  contentHash: string | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
};

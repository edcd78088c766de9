/** Where a document's processing is; carried to dashboards by the realtime bus. */
export type DocumentProgressEvent = {
  type: 'knowledge.document.progress';
  tenantId: string;
  documentId: string;
  status: 'pending' | 'processing' | 'ready' | 'failed';
  stage: string;
  progress: number;
  error?: string;
};

type Listener = (event: DocumentProgressEvent) => void;

/** In-process fan-out of ingestion progress; a listener that throws does not stop the others. */
export class KnowledgeEvents {
  #listeners = new Set<Listener>();

  on(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: DocumentProgressEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // one broken subscriber must not break ingestion
      }
    }
  }
}

/** A budget threshold was crossed; the realtime bus carries it to the tenant's dashboards. */
export type BudgetAlertEvent = {
  type: 'budget.alert';
  tenantId: string;
  alertId: string;
  month: string;
  thresholdPercent: number;
  budgetMicros: number;
  spentMicros: number;
};

export type AiEvent = BudgetAlertEvent;
type Listener = (event: AiEvent) => void;

/** In-process fan-out of AI-core events; a listener that throws does not stop the others. */
export class AiEvents {
  #listeners = new Set<Listener>();

  on(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: AiEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // one broken subscriber must not break metering
      }
    }
  }
}

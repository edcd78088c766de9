/** Answers being written by this process, by conversation, so a stop request can cut one off. */
export class Generations {
  readonly #running = new Map<string, AbortController>();

  start(conversationId: string): AbortController {
    const controller = new AbortController();
    this.#running.set(conversationId, controller);
    return controller;
  }

  running(conversationId: string): boolean {
    return this.#running.has(conversationId);
  }

  /** True when this process was writing an answer in that conversation. */
  stop(conversationId: string): boolean {
    const controller = this.#running.get(conversationId);
    controller?.abort(new Error('stopped by the user'));
    return Boolean(controller);
  }

  finish(conversationId: string, controller: AbortController) {
    if (this.#running.get(conversationId) === controller) this.#running.delete(conversationId);
  }

  stopAll() {
    for (const controller of this.#running.values()) controller.abort(new Error('server stopping'));
  }
}

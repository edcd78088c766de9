/** Who joined or left a conversation's live view. */
export interface Present {
  kind: 'visitor' | 'member';
  name: string | null;
  connectionId: string;
}

export interface PresenceChange {
  conversationId: string;
  joined: Present[];
  left: Present[];
  /** Changes not listed (a crowd arriving at once is summarised, not enumerated). */
  more: number;
}

/**
 * Coalesces presence per conversation: the first change goes out at once, then changes within
 * `windowMs` are gathered into one event at the window's end (a join and a leave of the same
 * connection cancel out). Announcing every join to everyone already watching costs n² frames:
 * a thousand viewers arriving would send half a million; this sends a few per window.
 */
export class PresenceCoalescer {
  private readonly windows = new Map<
    string,
    {
      tenantId: string;
      joined: Map<string, Present>;
      left: Map<string, Present>;
      timer: NodeJS.Timeout;
    }
  >();

  constructor(
    private readonly publish: (tenantId: string, change: PresenceChange) => void,
    private readonly windowMs = 250,
    private readonly maxListed = 20,
  ) {}

  note(tenantId: string, conversationId: string, state: 'joined' | 'left', who: Present): void {
    const open = this.windows.get(conversationId);
    if (!open) {
      this.publish(
        tenantId,
        this.change(conversationId, state === 'joined' ? [who] : [], state === 'left' ? [who] : []),
      );
      this.open(tenantId, conversationId);
      return;
    }
    const [add, cancel] = state === 'joined' ? [open.joined, open.left] : [open.left, open.joined];
    if (!cancel.delete(who.connectionId)) add.set(who.connectionId, who);
  }

  /** Sends what is pending at once (on shutdown). */
  flush(): void {
    for (const [conversationId, w] of this.windows) {
      clearTimeout(w.timer);
      this.windows.delete(conversationId);
      if (w.joined.size || w.left.size)
        this.publish(
          w.tenantId,
          this.change(conversationId, [...w.joined.values()], [...w.left.values()]),
        );
    }
  }

  private open(tenantId: string, conversationId: string) {
    const timer = setTimeout(() => {
      const w = this.windows.get(conversationId);
      this.windows.delete(conversationId);
      if (!w || (!w.joined.size && !w.left.size)) return;
      this.publish(
        tenantId,
        this.change(conversationId, [...w.joined.values()], [...w.left.values()]),
      );
      this.open(tenantId, conversationId); // changes keep coming: keep gathering
    }, this.windowMs);
    timer.unref();
    this.windows.set(conversationId, { tenantId, joined: new Map(), left: new Map(), timer });
  }

  private change(conversationId: string, joined: Present[], left: Present[]): PresenceChange {
    const listedJoined = joined.slice(0, this.maxListed);
    const listedLeft = left.slice(0, Math.max(0, this.maxListed - listedJoined.length));
    return {
      conversationId,
      joined: listedJoined,
      left: listedLeft,
      more: joined.length + left.length - listedJoined.length - listedLeft.length,
    };
  }
}

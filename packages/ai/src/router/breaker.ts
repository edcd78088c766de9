/**
 * A circuit breaker per provider endpoint: after `failures` consecutive failures the circuit
 * opens and calls skip that provider for `cooldownMs`; then one trial call is let through
 * (half-open) and its outcome closes or re-opens the circuit. State is per process: each
 * server instance learns a vendor's outage from its own calls within a few requests.
 */
export interface BreakerOptions {
  failures: number;
  cooldownMs: number;
  now?: () => number;
}

interface Circuit {
  consecutive: number;
  openUntil: number;
  trialInFlight: boolean;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

export class CircuitBreakers {
  private readonly circuits = new Map<string, Circuit>();
  private readonly now: () => number;

  constructor(private readonly options: BreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  private circuit(key: string): Circuit {
    let c = this.circuits.get(key);
    if (!c) {
      c = { consecutive: 0, openUntil: 0, trialInFlight: false };
      this.circuits.set(key, c);
    }
    return c;
  }

  state(key: string): CircuitState {
    const c = this.circuits.get(key);
    if (!c || c.consecutive < this.options.failures) return 'closed';
    return this.now() < c.openUntil ? 'open' : 'half-open';
  }

  /** Whether a call may go to this provider now; a half-open circuit admits one trial at a time. */
  tryAcquire(key: string): boolean {
    const state = this.state(key);
    if (state === 'closed') return true;
    if (state === 'open') return false;
    const c = this.circuit(key);
    if (c.trialInFlight) return false;
    c.trialInFlight = true;
    return true;
  }

  success(key: string): void {
    const c = this.circuit(key);
    c.consecutive = 0;
    c.openUntil = 0;
    c.trialInFlight = false;
  }

  failure(key: string): void {
    const c = this.circuit(key);
    c.consecutive++;
    c.trialInFlight = false;
    if (c.consecutive >= this.options.failures) c.openUntil = this.now() + this.options.cooldownMs;
  }
}
